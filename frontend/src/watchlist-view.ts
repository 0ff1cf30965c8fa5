/** Watchlist: the people on it, their expiry and review dates; administrators edit and remove. */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";

import {
  errorText,
  exportPersonData,
  fetchWatchlist,
  removePerson,
  updatePerson,
} from "./api.js";
import type { PersonChanges } from "./api.js";
import { CATEGORIES } from "./incidents-view.js";
import { photo } from "./match-card.js";
import { dateInput, day } from "./format.js";
import { define, shared } from "./styles.js";
import type {
  ErasureReceipt,
  HomeAssistant,
  MadeFile,
  Store,
  WatchlistPerson,
} from "./types.js";

type Editing = { personId: string; mode: "edit" | "extend" | "remove" };

export class SmartShopWatchlistView extends LitElement {
  static properties = {
    hass: { attribute: false },
    storeId: { attribute: false },
    stores: { attribute: false },
    canEdit: { attribute: false },
    _people: { state: true },
    _editing: { state: true },
    _draft: { state: true },
    _busy: { state: true },
    _error: { state: true },
    _receipt: { state: true },
    _exports: { state: true },
    _exporting: { state: true },
  };

  declare hass: HomeAssistant;
  declare storeId: string | undefined;
  declare stores: Store[];
  declare canEdit: boolean;
  declare _people: WatchlistPerson[] | null;
  declare _editing: Editing | null;
  declare _draft: PersonChanges;
  declare _busy: boolean;
  declare _error: string;
  declare _receipt: { name: string; receipt: ErasureReceipt } | null;
  /** Subject-access archives made here, by person. */
  declare _exports: Record<string, MadeFile>;
  declare _exporting: string | null;

  private _loadedFor: string | undefined | null = null;

  constructor() {
    super();
    this.stores = [];
    this.canEdit = false;
    this._people = null;
    this._editing = null;
    this._draft = {};
    this._busy = false;
    this._error = "";
    this._receipt = null;
    this._exports = {};
    this._exporting = null;
  }

  static styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr));
        gap: 16px;
      }
      .person {
        display: grid;
        grid-template-columns: 96px minmax(0, 1fr);
        gap: 12px;
        align-items: start;
      }
      .person figure img,
      .person figure .nophoto {
        width: 96px;
      }
      .name {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .flags {
        display: flex;
        gap: 4px;
        flex-wrap: wrap;
        margin-top: 4px;
      }
      .chip.due {
        background: var(--warning-color, #ffa600);
        color: #000;
      }
      .form {
        grid-column: 1 / -1;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .exported {
        margin-top: 8px;
        overflow-wrap: anywhere;
      }
      .exported a {
        color: var(--primary-color, #03a9f4);
      }
      .receipt {
        border-color: var(--primary-color, #03a9f4);
        margin-bottom: 16px;
      }
    `,
  ];

  protected updated(changed: PropertyValues<this>): void {
    if ((changed.has("hass") || changed.has("storeId")) && this.hass) {
      const storeId = this.storeId ?? undefined;
      if (this._loadedFor !== storeId) {
        this._loadedFor = storeId;
        void this._load();
      }
    }
  }

  private async _load(): Promise<void> {
    const storeId = this.storeId ?? undefined;
    try {
      const people = await fetchWatchlist(this.hass, storeId);
      if (this._loadedFor === storeId) this._people = people;
    } catch (error) {
      this._error = errorText(error);
    }
  }

  private _start(person: WatchlistPerson, mode: Editing["mode"]): void {
    this._editing = { personId: person.person_id, mode };
    this._error = "";
    this._draft =
      mode === "edit"
        ? { category: person.category, reason: person.reason }
        : mode === "extend"
          ? { expires: dateInput(person.expires) }
          : {};
  }

  private async _save(person: WatchlistPerson): Promise<void> {
    this._busy = true;
    this._error = "";
    try {
      if (this._editing?.mode === "remove") {
        const receipt = await removePerson(this.hass, person.person_id);
        this._receipt = { name: person.name, receipt };
        this._people = (this._people ?? []).filter((p) => p.person_id !== person.person_id);
      } else {
        await updatePerson(this.hass, person.person_id, this._draft);
        await this._load();
      }
      this._editing = null;
    } catch (error) {
      this._error = errorText(error);
    } finally {
      this._busy = false;
    }
  }

  /** Everything held about the person, as a subject-access archive (administrators). */
  private async _export(person: WatchlistPerson): Promise<void> {
    this._exporting = person.person_id;
    this._error = "";
    try {
      const made = await exportPersonData(this.hass, person.person_id);
      this._exports = { ...this._exports, [person.person_id]: made };
    } catch (error) {
      this._error = errorText(error);
    } finally {
      this._exporting = null;
    }
  }

  private _form(person: WatchlistPerson) {
    const mode = this._editing?.mode;
    const buttons = html`<div class="actions">
      <button
        class=${mode === "remove" ? "danger" : "primary"}
        name="save"
        ?disabled=${this._busy}
        @click=${() => this._save(person)}
      >
        ${mode === "remove" ? "Remove and erase" : "Save"}
      </button>
      <button ?disabled=${this._busy} @click=${() => (this._editing = null)}>Cancel</button>
    </div>`;
    if (mode === "remove") {
      return html`<div class="form">
        <p>
          Remove ${person.name} from the watchlist? Their photos, incidents and snapshots are
          erased; you get a receipt.
        </p>
        ${buttons}
      </div>`;
    }
    if (mode === "extend") {
      return html`<div class="form">
        <label
          >Keep until
          <input
            type="date"
            name="expires"
            .value=${this._draft.expires ?? dateInput(person.expires)}
            @change=${(event: Event) => {
              const value = (event.target as HTMLInputElement).value;
              if (value) this._draft = { expires: value };
            }}
          />
        </label>
        ${buttons}
      </div>`;
    }
    return html`<div class="form">
      <label
        >Category
        <select
          name="category"
          @change=${(event: Event) => {
            this._draft = { ...this._draft, category: (event.target as HTMLSelectElement).value };
          }}
        >
          ${CATEGORIES.map(
            (category) =>
              html`<option value=${category} ?selected=${category === this._draft.category}>
                ${category}
              </option>`,
          )}
        </select>
      </label>
      <label
        >Reason
        <textarea
          name="reason"
          .value=${this._draft.reason ?? ""}
          @input=${(event: Event) => {
            this._draft = { ...this._draft, reason: (event.target as HTMLTextAreaElement).value };
          }}
        ></textarea>
      </label>
      ${buttons}
    </div>`;
  }

  private _person(person: WatchlistPerson) {
    const store = this.stores.find((known) => known.store_id === person.store_id);
    const editing = this._editing?.personId === person.person_id;
    return html`<div class="card person" data-person=${person.person_id}>
      ${photo(person.reference_url ?? null, "Reference")}
      <div>
        <div class="name">${person.name}</div>
        <div class="muted">${[person.watchlist, store?.name].filter(Boolean).join(" · ")}</div>
        <div class="flags">
          <span class="chip">${person.category}</span>
          ${person.review_due ? html`<span class="chip due">Review due</span>` : nothing}
          ${person.expires_soon ? html`<span class="chip due">Expires soon</span>` : nothing}
        </div>
        <dl>
          <dt>Reason</dt>
          <dd>${person.reason || "—"}</dd>
          <dt>Reference</dt>
          <dd>${person.incident_reference || "—"}</dd>
          <dt>Expires</dt>
          <dd>${day(this.hass, person.expires)}</dd>
          <dt>Review by</dt>
          <dd>${day(this.hass, person.review_date)}</dd>
        </dl>
        ${this.canEdit && !editing
          ? html`<div class="actions">
              <button name="edit" @click=${() => this._start(person, "edit")}>Edit</button>
              <button name="extend" @click=${() => this._start(person, "extend")}>Extend</button>
              <button name="remove" class="danger" @click=${() => this._start(person, "remove")}>
                Remove
              </button>
              <button
                name="export"
                ?disabled=${this._exporting !== null}
                @click=${() => this._export(person)}
              >
                ${this._exporting === person.person_id ? "Working…" : "Export data"}
              </button>
            </div>`
          : nothing}
        ${this._exports[person.person_id]
          ? html`<div class="exported">
              <a
                name="export-download"
                href=${this._exports[person.person_id].url}
                download=${this._exports[person.person_id].file}
                >${this._exports[person.person_id].file}</a
              >
            </div>`
          : nothing}
      </div>
      ${editing ? this._form(person) : nothing}
    </div>`;
  }

  render() {
    return html`${this._receipt
        ? html`<div class="card receipt">
            <h3>Erasure receipt: ${this._receipt.name}</h3>
            <dl>
              ${Object.entries(this._receipt.receipt).map(
                ([key, value]) =>
                  html`<dt>${key.replaceAll("_", " ")}</dt>
                    <dd>${Array.isArray(value) ? `${value.length}: ${value.join(", ")}` : String(value)}</dd>`,
              )}
            </dl>
            <div class="actions"><button @click=${() => (this._receipt = null)}>Done</button></div>
          </div>`
        : nothing}
      ${this._error ? html`<p class="error">${this._error}</p>` : nothing}
      ${this._people === null
        ? html`<p class="muted">Loading…</p>`
        : this._people.length === 0
          ? html`<div class="card muted">Nobody is on a watchlist here.</div>`
          : html`<div class="grid">${this._people.map((person) => this._person(person))}</div>`}`;
  }
}

define("smartshop-watchlist-view", SmartShopWatchlistView);
