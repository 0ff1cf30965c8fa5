/** Watchlist: the people on it, their expiry and review dates; administrators edit and remove. */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";

import { errorText, fetchWatchlist, removePerson, updatePerson } from "./api.js";
import type { PersonChanges } from "./api.js";
import { CATEGORIES } from "./incidents-view.js";
import { photo } from "./match-card.js";
import { dateInput, day } from "./format.js";
import { define, shared } from "./styles.js";
import type { ErasureReceipt, HomeAssistant, WatchlistPerson } from "./types.js";

const SOON_DAYS = 14;

type Editing = { personId: string; mode: "edit" | "extend" | "remove" };

export class SmartShopWatchlistView extends LitElement {
  static properties = {
    hass: { attribute: false },
    storeId: { attribute: false },
    _people: { state: true },
    _editing: { state: true },
    _draft: { state: true },
    _busy: { state: true },
    _error: { state: true },
    _receipt: { state: true },
  };

  declare hass: HomeAssistant;
  declare storeId: string | undefined;
  declare _people: WatchlistPerson[] | null;
  declare _editing: Editing | null;
  declare _draft: PersonChanges;
  declare _busy: boolean;
  declare _error: string;
  declare _receipt: { name: string; receipt: ErasureReceipt } | null;

  private _loadedFor: string | undefined | null = null;

  constructor() {
    super();
    this._people = null;
    this._editing = null;
    this._draft = {};
    this._busy = false;
    this._error = "";
    this._receipt = null;
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
      .receipt {
        border-color: var(--primary-color, #03a9f4);
        margin-bottom: 16px;
      }
      pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        font-size: 0.8rem;
        margin: 0;
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

  private get _admin(): boolean {
    return Boolean(this.hass?.user?.is_admin);
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
          ? { expires_at: person.expires_at }
          : {};
  }

  private async _save(person: WatchlistPerson): Promise<void> {
    this._busy = true;
    this._error = "";
    try {
      if (this._editing?.mode === "remove") {
        const receipt = await removePerson(this.hass, person.person_id);
        this._receipt = { name: person.display_name, receipt };
        this._people = (this._people ?? []).filter((p) => p.person_id !== person.person_id);
      } else {
        const updated = await updatePerson(this.hass, person.person_id, this._draft);
        this._people = (this._people ?? []).map((p) =>
          p.person_id === person.person_id ? { ...p, ...updated } : p,
        );
      }
      this._editing = null;
    } catch (error) {
      this._error = errorText(error);
    } finally {
      this._busy = false;
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
          Remove ${person.display_name} from the watchlist? Their photos, incidents and snapshots are
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
            .value=${dateInput(this._draft.expires_at ?? person.expires_at)}
            @change=${(event: Event) => {
              const value = (event.target as HTMLInputElement).value;
              if (value) this._draft = { expires_at: new Date(`${value}T23:59:00`).toISOString() };
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
    const now = Date.now();
    const expires = new Date(person.expires_at).getTime();
    const reviewDue = new Date(person.review_at).getTime() <= now;
    const expiresSoon = expires - now <= SOON_DAYS * 86400_000;
    const editing = this._editing?.personId === person.person_id;
    return html`<div class="card person" data-person=${person.person_id}>
      ${photo(person.reference_url, "Reference")}
      <div>
        <div class="name">${person.display_name}</div>
        <div class="muted">${person.watchlist} · ${person.store_name}</div>
        <div class="flags">
          <span class="chip">${person.category}</span>
          ${reviewDue ? html`<span class="chip due">Review due</span>` : nothing}
          ${expiresSoon ? html`<span class="chip due">Expires soon</span>` : nothing}
        </div>
        <dl>
          <dt>Reason</dt>
          <dd>${person.reason || "—"}</dd>
          <dt>Reference</dt>
          <dd>${person.incident_reference || "—"}</dd>
          <dt>Expires</dt>
          <dd>${day(this.hass, person.expires_at)}</dd>
          <dt>Review by</dt>
          <dd>${day(this.hass, person.review_at)}</dd>
        </dl>
        ${this._admin && !editing
          ? html`<div class="actions">
              <button name="edit" @click=${() => this._start(person, "edit")}>Edit</button>
              <button name="extend" @click=${() => this._start(person, "extend")}>Extend</button>
              <button name="remove" class="danger" @click=${() => this._start(person, "remove")}>
                Remove
              </button>
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
            <pre>${JSON.stringify(this._receipt.receipt, null, 2)}</pre>
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
