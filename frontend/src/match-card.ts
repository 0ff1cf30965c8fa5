/** One match: the crop beside the entry's reference photo, its facts, and Confirm / Not them. */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";

import { errorText, reviewIncident } from "./api.js";
import { dateTime, percent, statusLabel } from "./format.js";
import { define, shared } from "./styles.js";
import type { HomeAssistant, Incident, LiveMatch, ReviewStatus } from "./types.js";

export interface MatchView {
  incident_id: string;
  snapshot_url: string | null;
  reference_url: string | null;
  similarity: number | null;
  camera: string;
  location: string;
  store_name: string;
  watchlist: string;
  category: string;
  seen_at: string;
  review_status: ReviewStatus;
  review_reason: string | null;
}

export function fromIncident(incident: Incident): MatchView {
  return {
    incident_id: incident.incident_id,
    snapshot_url: incident.snapshot_url,
    reference_url: incident.reference_url,
    similarity: incident.similarity,
    camera: incident.camera,
    location: incident.location,
    store_name: incident.store_name,
    watchlist: incident.watchlist,
    category: incident.category,
    seen_at: incident.occurred_at,
    review_status: incident.review_status,
    review_reason: incident.review_reason,
  };
}

export function fromLive(match: LiveMatch): MatchView {
  return {
    incident_id: match.incident_id,
    snapshot_url: match.snapshot_url,
    reference_url: match.reference_url,
    similarity: match.similarity,
    camera: match.camera,
    location: match.location,
    store_name: match.store,
    watchlist: match.watchlist,
    category: match.category,
    seen_at: match.seen_at,
    review_status: "pending",
    review_reason: null,
  };
}

export function photo(url: string | null, caption: string) {
  return html`<figure>
    ${url
      ? html`<img src=${url} alt=${caption} loading="lazy" />`
      : html`<div class="nophoto">No photo kept</div>`}
    <figcaption>${caption}</figcaption>
  </figure>`;
}

export class SmartShopMatchCard extends LitElement {
  static properties = {
    hass: { attribute: false },
    match: { attribute: false },
    _asking: { state: true },
    _reason: { state: true },
    _busy: { state: true },
    _error: { state: true },
  };

  declare hass: HomeAssistant;
  declare match: MatchView;
  declare _asking: boolean;
  declare _reason: string;
  declare _busy: boolean;
  declare _error: string;

  constructor() {
    super();
    this._asking = false;
    this._reason = "";
    this._busy = false;
    this._error = "";
  }

  static styles = [
    shared,
    css`
      .card {
        display: flex;
        flex-direction: column;
        gap: 8px;
        height: 100%;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
      }
      .similarity {
        font-size: 1.4rem;
        font-weight: 500;
      }
      textarea {
        width: 100%;
        min-height: 60px;
      }
    `,
  ];

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("match")) {
      const previous = changed.get("match") as MatchView | undefined;
      if (previous?.incident_id !== this.match.incident_id) {
        this._asking = false;
        this._reason = "";
        this._error = "";
      }
    }
  }

  private async _review(decision: "confirm" | "dismiss"): Promise<void> {
    this._busy = true;
    this._error = "";
    try {
      const reviewed = await reviewIncident(
        this.hass,
        this.match.incident_id,
        decision,
        decision === "dismiss" ? this._reason.trim() : undefined,
      );
      this._asking = false;
      this.dispatchEvent(
        new CustomEvent<Incident>("reviewed", { detail: reviewed, bubbles: true, composed: true }),
      );
    } catch (error) {
      this._error = errorText(error);
    } finally {
      this._busy = false;
    }
  }

  private _buttons() {
    if (this.match.review_status !== "pending") {
      return html`<div>
        <span class="chip ${this.match.review_status}">${statusLabel(this.match.review_status)}</span>
        ${this.match.review_reason
          ? html`<span class="muted">${this.match.review_reason}</span>`
          : nothing}
      </div>`;
    }
    if (this._asking) {
      return html`<label
          >Why is it not them?
          <textarea
            name="reason"
            .value=${this._reason}
            @input=${(event: Event) => {
              this._reason = (event.target as HTMLTextAreaElement).value;
            }}
          ></textarea>
        </label>
        <div class="actions">
          <button
            class="primary"
            ?disabled=${this._busy || !this._reason.trim()}
            @click=${() => this._review("dismiss")}
          >
            Dismiss: not them
          </button>
          <button ?disabled=${this._busy} @click=${() => (this._asking = false)}>Cancel</button>
        </div>`;
    }
    return html`<div class="actions">
      <button class="primary" ?disabled=${this._busy} @click=${() => this._review("confirm")}>
        Confirm
      </button>
      <button ?disabled=${this._busy} @click=${() => (this._asking = true)}>Not them</button>
    </div>`;
  }

  render() {
    const match = this.match;
    return html`<div class="card" data-incident=${match.incident_id}>
      <div class="head">
        <span class="similarity">${percent(match.similarity)}</span>
        <span class="chip">${match.category}</span>
      </div>
      <div class="photos">
        ${photo(match.snapshot_url, "At the door")} ${photo(match.reference_url, "Watchlist photo")}
      </div>
      <dl>
        <dt>Camera</dt>
        <dd>${match.camera}</dd>
        <dt>Location</dt>
        <dd>${match.location || "—"}</dd>
        <dt>Store</dt>
        <dd>${match.store_name}</dd>
        <dt>Watchlist</dt>
        <dd>${match.watchlist}</dd>
        <dt>Seen</dt>
        <dd>${dateTime(this.hass, match.seen_at)}</dd>
      </dl>
      ${this._buttons()} ${this._error ? html`<div class="error">${this._error}</div>` : nothing}
    </div>`;
  }
}

define("smartshop-match-card", SmartShopMatchCard);
