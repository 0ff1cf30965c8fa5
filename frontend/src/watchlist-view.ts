/** Watchlist: the people on it, their expiry and review dates; administrators enrol (from a
 * camera's snapshot or an uploaded photo), edit and remove. */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";

import {
  enrollPerson,
  errorText,
  exportPersonData,
  fetchWatchlist,
  removePerson,
  updatePerson,
} from "./api.js";
import type { Enrolment, PersonChanges } from "./api.js";
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

/** The enrolment form as filled in so far: where the photo comes from, and the upload's name. */
type EnrolDraft = Omit<Enrolment, "attest_adult" | "attest_not_vulnerable"> & {
  attest_adult: boolean;
  attest_not_vulnerable: boolean;
  source: "camera" | "upload";
  file_name?: string;
};

/** What the server takes of an upload (decoded); larger photos are scaled down first. */
export const MAX_UPLOAD_BYTES = 3_000_000;
const MAX_SIDE = 2048;
const JUSTIFICATIONS: [string, string][] = [
  ["repeat_offender", "Repeat offender"],
  ["serious_offence", "Serious offence"],
];

function readBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] ?? "");
    reader.onerror = () => reject(reader.error ?? new Error("The photo could not be read"));
    reader.readAsDataURL(blob);
  });
}

/** A JPEG or PNG the server takes: as it is, or scaled down and re-encoded as JPEG. */
async function uploadable(file: File): Promise<Blob> {
  if (file.size <= MAX_UPLOAD_BYTES && ["image/jpeg", "image/png"].includes(file.type)) {
    return file;
  }
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) =>
    canvas.toBlob(resolve, "image/jpeg", 0.9),
  );
  if (!blob || blob.size > MAX_UPLOAD_BYTES) {
    throw new Error("The photo is too large: choose one under 3 MB");
  }
  return blob;
}

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
    _enrol: { state: true },
    _enrolled: { state: true },
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
  /** The enrolment form, while it is open. */
  declare _enrol: EnrolDraft | null;
  declare _enrolled: string;

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
    this._enrol = null;
    this._enrolled = "";
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
      .enrol {
        margin-bottom: 16px;
      }
      .enrol .form {
        max-width: 560px;
      }
      label.check {
        flex-direction: row;
        align-items: flex-start;
        gap: 8px;
        color: var(--primary-text-color, #212121);
      }
      .source {
        display: flex;
        gap: 16px;
        flex-wrap: wrap;
      }
      .source label {
        flex-direction: row;
        align-items: center;
        gap: 6px;
      }
      .enrolled {
        color: var(--success-color, #43a047);
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
        const claim = this._draft.keep_evidence_for?.trim();
        const receipt = await removePerson(this.hass, person.person_id, claim || undefined);
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

  private _enrolStore(): Store | undefined {
    const storeId = this._enrol?.store_id ?? this.storeId;
    return this.stores.find((store) => store.store_id === storeId) ?? this.stores[0];
  }

  private _openEnrol(): void {
    const store = this.stores.find((known) => known.store_id === this.storeId) ?? this.stores[0];
    if (!store) return;
    this._error = "";
    this._enrolled = "";
    this._enrol = {
      store_id: store.store_id,
      watchlist: store.watchlists[0]?.name ?? "",
      name: "",
      reason: "",
      incident_reference: "",
      justification: "",
      attest_adult: false,
      attest_not_vulnerable: false,
      source: store.cameras.length ? "camera" : "upload",
      camera_entity_id: store.cameras[0]?.entity_id,
    };
  }

  private _set(changes: Partial<EnrolDraft>): void {
    if (this._enrol) this._enrol = { ...this._enrol, ...changes };
  }

  private _changeStore(storeId: string): void {
    const store = this.stores.find((known) => known.store_id === storeId);
    if (!store) return;
    this._set({
      store_id: storeId,
      watchlist: store.watchlists[0]?.name ?? "",
      camera_entity_id: store.cameras[0]?.entity_id,
    });
  }

  private async _pickFile(event: Event): Promise<void> {
    const file = (event.target as HTMLInputElement).files?.[0];
    this._set({ image: undefined, file_name: undefined });
    if (!file) return;
    this._error = "";
    try {
      const image = await readBase64(await uploadable(file));
      this._set({ image, file_name: file.name });
    } catch (error) {
      this._error = errorText(error);
    }
  }

  /** What the form still lacks, in words (empty when it may be sent). */
  private _missing(draft: EnrolDraft): string[] {
    const missing: string[] = [];
    if (!draft.watchlist) missing.push("a watchlist");
    if (!draft.name.trim()) missing.push("the name");
    if (!draft.reason.trim()) missing.push("the reason");
    if (!draft.incident_reference.trim()) missing.push("the incident reference");
    if (!draft.justification) missing.push("the justification");
    if (!draft.attest_adult) missing.push("that the person is an adult");
    if (!draft.attest_not_vulnerable) missing.push("that the person is not vulnerable");
    if (draft.source === "camera" && !draft.camera_entity_id) missing.push("a camera");
    if (draft.source === "upload" && !draft.image) missing.push("a photo");
    return missing;
  }

  private async _submitEnrol(): Promise<void> {
    const draft = this._enrol;
    if (!draft) return;
    const missing = this._missing(draft);
    if (missing.length) {
      this._error = `To enrol, give ${missing.join(", ")}.`;
      return;
    }
    const { source, file_name: _fileName, camera_entity_id, image, ...fields } = draft;
    this._busy = true;
    this._error = "";
    try {
      const enrolled = await enrollPerson(this.hass, {
        ...fields,
        ...(source === "camera" ? { camera_entity_id } : { image }),
      });
      this._enrol = null;
      this._enrolled =
        enrolled.status === "active"
          ? `${draft.name} is on ${enrolled.watchlist}.`
          : `${draft.name} is on ${enrolled.watchlist}, ${enrolled.status.replaceAll("_", " ")}.`;
      await this._load();
    } catch (error) {
      this._error = errorText(error);
    } finally {
      this._busy = false;
    }
  }

  private _text(field: "name" | "reason" | "incident_reference", label: string) {
    const draft = this._enrol;
    return html`<label
      >${label}
      <input
        name=${field}
        required
        .value=${draft?.[field] ?? ""}
        @input=${(event: Event) => this._set({ [field]: (event.target as HTMLInputElement).value })}
      />
    </label>`;
  }

  private _enrolForm(draft: EnrolDraft) {
    const store = this._enrolStore();
    const cameras = store?.cameras ?? [];
    return html`<div class="card enrol">
      <h3>Enrol a person</h3>
      <form
        class="form"
        name="enrol"
        novalidate
        @submit=${(event: Event) => {
          event.preventDefault();
          void this._submitEnrol();
        }}
      >
        ${this.stores.length > 1
          ? html`<label
              >Store
              <select
                name="store"
                @change=${(event: Event) =>
                  this._changeStore((event.target as HTMLSelectElement).value)}
              >
                ${this.stores.map(
                  (known) =>
                    html`<option value=${known.store_id} ?selected=${known === store}>
                      ${known.name}
                    </option>`,
                )}
              </select>
            </label>`
          : nothing}
        <label
          >Watchlist
          <select
            name="watchlist"
            @change=${(event: Event) =>
              this._set({ watchlist: (event.target as HTMLSelectElement).value })}
          >
            ${(store?.watchlists ?? []).map(
              (watchlist) =>
                html`<option value=${watchlist.name} ?selected=${watchlist.name === draft.watchlist}>
                  ${watchlist.name}
                </option>`,
            )}
          </select>
        </label>
        ${this._text("name", "Name")}
        <label
          >Category
          <select
            name="category"
            @change=${(event: Event) =>
              this._set({ category: (event.target as HTMLSelectElement).value || undefined })}
          >
            <option value="" ?selected=${!draft.category}>The watchlist's</option>
            ${CATEGORIES.map(
              (category) =>
                html`<option value=${category} ?selected=${category === draft.category}>
                  ${category}
                </option>`,
            )}
          </select>
        </label>
        ${this._text("reason", "Reason")} ${this._text("incident_reference", "Incident reference")}
        <label
          >Justification
          <select
            name="justification"
            required
            @change=${(event: Event) =>
              this._set({ justification: (event.target as HTMLSelectElement).value })}
          >
            <option value="" ?selected=${!draft.justification}>Choose…</option>
            ${JUSTIFICATIONS.map(
              ([value, label]) =>
                html`<option value=${value} ?selected=${value === draft.justification}>
                  ${label}
                </option>`,
            )}
          </select>
        </label>
        <label class="check"
          ><input
            type="checkbox"
            name="attest_adult"
            required
            .checked=${draft.attest_adult}
            @change=${(event: Event) =>
              this._set({ attest_adult: (event.target as HTMLInputElement).checked })}
          />I confirm the person is an adult.</label
        >
        <label class="check"
          ><input
            type="checkbox"
            name="attest_not_vulnerable"
            required
            .checked=${draft.attest_not_vulnerable}
            @change=${(event: Event) =>
              this._set({ attest_not_vulnerable: (event.target as HTMLInputElement).checked })}
          />I confirm the person is not vulnerable.</label
        >
        <label
          >Expires (optional)
          <input
            type="date"
            name="expires"
            .value=${draft.expires ?? ""}
            @change=${(event: Event) =>
              this._set({ expires: (event.target as HTMLInputElement).value || undefined })}
          />
        </label>
        <label
          >Review by (optional)
          <input
            type="date"
            name="review_date"
            .value=${draft.review_date ?? ""}
            @change=${(event: Event) =>
              this._set({ review_date: (event.target as HTMLInputElement).value || undefined })}
          />
        </label>
        <div class="source" role="radiogroup" aria-label="Photo">
          <label
            ><input
              type="radio"
              name="source"
              value="camera"
              ?disabled=${cameras.length === 0}
              .checked=${draft.source === "camera"}
              @change=${() => this._set({ source: "camera" })}
            />Camera snapshot</label
          >
          <label
            ><input
              type="radio"
              name="source"
              value="upload"
              .checked=${draft.source === "upload"}
              @change=${() => this._set({ source: "upload" })}
            />Upload a photo</label
          >
        </div>
        ${draft.source === "camera"
          ? html`<label
              >Camera
              <select
                name="camera"
                @change=${(event: Event) =>
                  this._set({ camera_entity_id: (event.target as HTMLSelectElement).value })}
              >
                ${cameras.map(
                  (camera) =>
                    html`<option
                      value=${camera.entity_id}
                      ?selected=${camera.entity_id === draft.camera_entity_id}
                    >
                      ${camera.name}
                    </option>`,
                )}
              </select>
            </label>`
          : html`<label
              >Photo
              <input
                type="file"
                name="photo"
                accept="image/*"
                @change=${(event: Event) => void this._pickFile(event)}
              />
              ${draft.file_name
                ? html`<span class="muted">${draft.file_name} ready</span>`
                : nothing}
            </label>`}
        <div class="actions">
          <button class="primary" type="submit" name="enrol-save" ?disabled=${this._busy}>
            ${this._busy ? "Enrolling…" : "Enrol"}
          </button>
          <button type="button" ?disabled=${this._busy} @click=${() => (this._enrol = null)}>
            Cancel
          </button>
        </div>
      </form>
    </div>`;
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
          Remove ${person.name} from the watchlist? Their photos, incidents, snapshots and the
          exports made about them are erased; you get a receipt.
        </p>
        <label
          >Keep their evidence packs for a legal claim (optional: e.g. a police reference, never
          their name)
          <input
            name="keep_evidence_for"
            maxlength="2000"
            .value=${this._draft.keep_evidence_for ?? ""}
            @input=${(event: Event) => {
              this._draft = { keep_evidence_for: (event.target as HTMLInputElement).value };
            }}
          />
        </label>
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
      ${this.canEdit && !this._enrol && this.stores.length
        ? html`<div class="actions">
            <button class="primary" name="enrol" @click=${() => this._openEnrol()}>Enrol</button>
          </div>`
        : nothing}
      ${this._enrol ? this._enrolForm(this._enrol) : nothing}
      ${this._enrolled ? html`<p class="enrolled" role="status">${this._enrolled}</p>` : nothing}
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
      ${this._people === null
        ? html`<p class="muted">Loading…</p>`
        : this._people.length === 0
          ? html`<div class="card muted">Nobody is on a watchlist here.</div>`
          : html`<div class="grid">${this._people.map((person) => this._person(person))}</div>`}`;
  }
}

define("smartshop-watchlist-view", SmartShopWatchlistView);
