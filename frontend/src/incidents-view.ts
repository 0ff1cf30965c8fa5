/** Incidents: filters, pages by cursor, and one incident's detail with its review history. */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";

import {
  createEvidencePack,
  errorText,
  fetchIncident,
  fetchIncidents,
  fetchTrends,
} from "./api.js";
import { fromIncident } from "./match-card.js";
import { dateTime, percent, statusLabel } from "./format.js";
import { define, shared } from "./styles.js";
import type {
  HomeAssistant,
  Incident,
  IncidentDetail,
  IncidentFilters,
  MadeFile,
  Outcome,
  ReviewEvent,
  ReviewStatus,
  Store,
} from "./types.js";

export const CATEGORIES = ["theft", "banned", "violence", "other"];

interface HistoryLine {
  decision: string;
  at: string;
  actor: string;
  reason: string | null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** The incident's reviews from the audit log; without any, the review the incident records. */
function history(detail: IncidentDetail): HistoryLine[] {
  const rows = detail.review_history.map((row: ReviewEvent) => ({
    decision: statusLabel(text(row.details.decision) ?? text(row.details.status) ?? "reviewed"),
    at: row.at,
    actor: row.actor,
    reason: text(row.details.reason),
  }));
  const incident = detail.incident;
  if (rows.length === 0 && incident.review_status !== "pending" && incident.reviewed_at) {
    rows.push({
      decision: statusLabel(incident.review_status),
      at: incident.reviewed_at,
      actor: incident.reviewed_by ?? "",
      reason: incident.review_reason,
    });
  }
  return rows;
}

export class SmartShopIncidentsView extends LitElement {
  static properties = {
    hass: { attribute: false },
    storeId: { attribute: false },
    stores: { attribute: false },
    isAdmin: { attribute: false },
    _filters: { state: true },
    _rows: { state: true },
    _cursors: { state: true },
    _next: { state: true },
    _loading: { state: true },
    _error: { state: true },
    _detail: { state: true },
    _cameras: { state: true },
    _pack: { state: true },
    _packing: { state: true },
    _packError: { state: true },
  };

  declare hass: HomeAssistant;
  declare storeId: string | undefined;
  declare stores: Store[];
  declare _filters: IncidentFilters;
  declare _rows: Incident[];
  /** The cursor of each page seen so far (null for the first): "Previous" goes back one. */
  declare _cursors: (string | null)[];
  declare _next: string | null;
  declare _loading: boolean;
  declare _error: string;
  declare _detail: IncidentDetail | null;
  declare _cameras: Outcome[];
  declare isAdmin: boolean;
  /** The evidence pack made for the incident open in the detail. */
  declare _pack: MadeFile | null;
  declare _packing: boolean;
  declare _packError: string;

  private _loadedFor: string | undefined | null = null;
  private _request = 0;

  constructor() {
    super();
    this._filters = {};
    this._rows = [];
    this._cursors = [null];
    this._next = null;
    this._loading = false;
    this._error = "";
    this._detail = null;
    this._cameras = [];
    this.stores = [];
    this.isAdmin = false;
    this._pack = null;
    this._packing = false;
    this._packError = "";
  }

  static styles = [
    shared,
    css`
      .filters {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
        margin-bottom: 12px;
      }
      tbody tr {
        cursor: pointer;
      }
      tbody tr:hover {
        background: var(--secondary-background-color, #f5f5f5);
      }
      .pager {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-top: 12px;
      }
      .detail {
        margin-top: 16px;
        display: grid;
        grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
        gap: 16px;
      }
      .detail .photos {
        max-width: 480px;
      }
      .evidence a {
        align-self: center;
        color: var(--primary-color, #03a9f4);
        overflow-wrap: anywhere;
      }
      .history {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      .history li {
        padding: 6px 0;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
      }
      .hide-narrow {
        display: table-cell;
      }
      @media (max-width: 600px) {
        .detail {
          grid-template-columns: 1fr;
        }
        .hide-narrow {
          display: none;
        }
        .filters {
          grid-template-columns: 1fr 1fr;
        }
      }
    `,
  ];

  protected updated(changed: PropertyValues<this>): void {
    if ((changed.has("hass") || changed.has("storeId")) && this.hass) {
      const storeId = this.storeId ?? undefined;
      if (this._loadedFor !== storeId) {
        this._loadedFor = storeId;
        this._detail = null;
        void this._load(null, [null]);
        void this._loadChoices(storeId);
      }
    }
  }

  private _query(): IncidentFilters {
    return { ...this._filters, store_id: this.storeId ?? undefined };
  }

  private async _loadChoices(storeId: string | undefined): Promise<void> {
    try {
      const trends = await fetchTrends(this.hass, { store_id: storeId });
      if (this._loadedFor === storeId) this._cameras = trends.outcomes.camera ?? [];
    } catch {
      // The filters still work as free choices; the list itself reports errors.
    }
  }

  private async _load(cursor: string | null, cursors: (string | null)[]): Promise<void> {
    const request = ++this._request;
    this._loading = true;
    this._error = "";
    try {
      const page = await fetchIncidents(this.hass, this._query(), cursor);
      if (request !== this._request) return;
      this._rows = page.incidents;
      this._next = page.next_cursor;
      this._cursors = cursors;
    } catch (error) {
      if (request === this._request) this._error = errorText(error);
    } finally {
      if (request === this._request) this._loading = false;
    }
  }

  private _setFilter(key: keyof IncidentFilters, value: string): void {
    const filters: IncidentFilters = { ...this._filters };
    if (key === "start" || key === "end") {
      // A day picked in the shop's calendar: from its start, or until the next day starts.
      if (value) {
        const at = new Date(`${value}T00:00:00`);
        if (key === "end") at.setDate(at.getDate() + 1);
        filters[key] = at.toISOString();
      } else {
        delete filters[key];
      }
    } else if (value) {
      (filters as Record<string, string>)[key] = value;
    } else {
      delete filters[key];
    }
    this._filters = filters;
    this._detail = null;
    void this._load(null, [null]);
  }

  private async _open(incident: Incident): Promise<void> {
    this._error = "";
    if (this._detail?.incident.incident_id !== incident.incident_id) {
      this._pack = null;
      this._packError = "";
    }
    try {
      this._detail = await fetchIncident(this.hass, incident.incident_id);
      await this.updateComplete;
      this.renderRoot.querySelector(".detail")?.scrollIntoView({ block: "nearest" });
    } catch (error) {
      this._error = errorText(error);
    }
  }

  private async _reviewed(event: CustomEvent<Incident>): Promise<void> {
    const reviewed = event.detail;
    this._rows = this._rows.map((row) =>
      row.incident_id === reviewed.incident_id ? { ...row, ...reviewed } : row,
    );
    await this._open(reviewed);
  }

  private async _makePack(incidentId: string): Promise<void> {
    this._packing = true;
    this._packError = "";
    try {
      this._pack = await createEvidencePack(this.hass, incidentId);
    } catch (error) {
      this._packError = errorText(error);
    } finally {
      this._packing = false;
    }
  }

  /** A confirmed incident's evidence pack (administrators): make it, then its link. */
  private _evidence(incident: Incident) {
    if (!this.isAdmin || incident.review_status !== "confirmed") return nothing;
    return html`<div class="evidence">
      <div class="actions">
        <button
          name="evidence-pack"
          ?disabled=${this._packing}
          @click=${() => this._makePack(incident.incident_id)}
        >
          ${this._packing ? "Working…" : "Evidence pack"}
        </button>
        ${this._pack
          ? html`<a name="evidence-download" href=${this._pack.url} download=${this._pack.file}
              >${this._pack.file}</a
            >`
          : nothing}
      </div>
      ${this._packError ? html`<p class="error">${this._packError}</p>` : nothing}
    </div>`;
  }

  private _select(
    key: keyof IncidentFilters,
    label: string,
    options: { value: string; label: string }[],
  ) {
    return html`<label
      >${label}
      <select
        name=${key}
        @change=${(event: Event) => this._setFilter(key, (event.target as HTMLSelectElement).value)}
      >
        <option value="" ?selected=${!this._filters[key]}>All</option>
        ${options.map(
          (option) =>
            html`<option value=${option.value} ?selected=${this._filters[key] === option.value}>
              ${option.label}
            </option>`,
        )}
      </select>
    </label>`;
  }

  private _filtersBar() {
    const statuses: ReviewStatus[] = ["pending", "confirmed", "dismissed"];
    return html`<div class="filters">
      ${this._select(
        "camera",
        "Camera",
        this._cameras.map((camera) => ({ value: camera.key, label: camera.label })),
      )}
      ${this._select(
        "watchlist_id",
        "Watchlist",
        this.stores
          .filter((store) => !this.storeId || store.store_id === this.storeId)
          .flatMap((store) =>
            store.watchlists.map((watchlist) => ({
              value: watchlist.watchlist_id,
              label: this.storeId ? watchlist.name : `${watchlist.name} (${store.name})`,
            })),
          ),
      )}
      ${this._select(
        "category",
        "Category",
        CATEGORIES.map((category) => ({ value: category, label: category })),
      )}
      ${this._select(
        "review_status",
        "Review",
        statuses.map((status) => ({ value: status, label: statusLabel(status) })),
      )}
      <label
        >From
        <input
          type="date"
          name="start"
          @change=${(event: Event) => this._setFilter("start", (event.target as HTMLInputElement).value)}
        />
      </label>
      <label
        >Until
        <input
          type="date"
          name="end"
          @change=${(event: Event) => this._setFilter("end", (event.target as HTMLInputElement).value)}
        />
      </label>
    </div>`;
  }

  private _table() {
    if (this._rows.length === 0) {
      return html`<p class="muted">${this._loading ? "Loading…" : "No incident matches these filters."}</p>`;
    }
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Seen</th>
            <th>Camera</th>
            <th class="hide-narrow">Watchlist</th>
            <th class="hide-narrow">Category</th>
            <th>Similarity</th>
            <th>Review</th>
          </tr>
        </thead>
        <tbody>
          ${this._rows.map(
            (row) =>
              html`<tr data-incident=${row.incident_id} @click=${() => this._open(row)}>
                <td>${dateTime(this.hass, row.occurred_at)}</td>
                <td>${row.camera}</td>
                <td class="hide-narrow">${row.watchlist}</td>
                <td class="hide-narrow">${row.category}</td>
                <td>${percent(row.similarity)}</td>
                <td><span class="chip ${row.review_status}">${statusLabel(row.review_status)}</span></td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  private _pager() {
    const pageNumber = this._cursors.length;
    return html`<div class="pager">
      <button
        name="previous"
        ?disabled=${this._loading || pageNumber <= 1}
        @click=${() => {
          const cursors = this._cursors.slice(0, -1);
          void this._load(cursors[cursors.length - 1] ?? null, cursors);
        }}
      >
        Previous
      </button>
      <span class="muted">Page ${pageNumber}</span>
      <button
        name="next"
        ?disabled=${this._loading || !this._next}
        @click=${() => {
          const next = this._next;
          void this._load(next, [...this._cursors, next]);
        }}
      >
        Next
      </button>
    </div>`;
  }

  private _detailCard(detail: IncidentDetail) {
    const incident = detail.incident;
    return html`<div class="card detail" @reviewed=${this._reviewed}>
      <smartshop-match-card .hass=${this.hass} .match=${fromIncident(incident)}></smartshop-match-card>
      <div>
        <h3>Review history</h3>
        ${history(detail).length === 0
          ? html`<p class="muted">Not reviewed yet.</p>`
          : html`<ul class="history">
              ${history(detail).map(
                (event) =>
                  html`<li>
                    <strong>${event.decision}</strong> · ${dateTime(this.hass, event.at)}
                    ${event.actor ? html`<span class="muted">by ${event.actor}</span>` : nothing}
                    ${event.reason ? html`<div>${event.reason}</div>` : nothing}
                  </li>`,
              )}
            </ul>`}
        <dl>
          <dt>Incident</dt>
          <dd>${incident.incident_id}</dd>
          <dt>Person</dt>
          <dd>${detail.person?.name ?? (incident.person_id || "anonymised")}</dd>
        </dl>
        ${this._evidence(incident)}
        <div class="actions"><button @click=${() => (this._detail = null)}>Close</button></div>
      </div>
    </div>`;
  }

  render() {
    return html`<div class="card">
        <h2>Incidents</h2>
        ${this._filtersBar()} ${this._error ? html`<p class="error">${this._error}</p>` : nothing}
        ${this._table()} ${this._pager()}
      </div>
      ${this._detail ? this._detailCard(this._detail) : nothing}`;
  }
}

define("smartshop-incidents-view", SmartShopIncidentsView);
