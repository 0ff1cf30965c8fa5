/** Live: matches as they arrive, and the ones still waiting for a review. */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";
import { repeat } from "lit/directives/repeat.js";

import { errorText, fetchIncidents, subscribeMatches } from "./api.js";
import { fromIncident, fromLive } from "./match-card.js";
import type { MatchView } from "./match-card.js";
import { define, shared } from "./styles.js";
import type { HomeAssistant, Incident, LiveMatch } from "./types.js";

const KEPT = 30;

export class SmartShopLiveView extends LitElement {
  static properties = {
    hass: { attribute: false },
    storeId: { attribute: false },
    _matches: { state: true },
    _connected: { state: true },
    _error: { state: true },
  };

  declare hass: HomeAssistant;
  declare storeId: string | undefined;
  declare _matches: MatchView[];
  declare _connected: boolean;
  declare _error: string;

  private _unsubscribe: Promise<() => Promise<void> | void> | null = null;
  private _subscribedFor: string | undefined | null = null;

  constructor() {
    super();
    this._matches = [];
    this._connected = false;
    this._error = "";
  }

  static styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
        gap: 16px;
      }
      .status {
        display: flex;
        align-items: center;
        gap: 8px;
        margin-bottom: 12px;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--disabled-text-color, #bdbdbd);
      }
      .dot.on {
        background: var(--success-color, #43a047);
      }
      smartshop-match-card.new {
        animation: arrive 1.2s ease-out;
      }
      @keyframes arrive {
        from {
          box-shadow: 0 0 0 4px var(--primary-color, #03a9f4);
        }
      }
      @media (max-width: 600px) {
        .grid {
          grid-template-columns: 1fr;
        }
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    if (this.hass) this._start();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this._stop();
  }

  protected updated(changed: PropertyValues<this>): void {
    if ((changed.has("hass") || changed.has("storeId")) && this.hass && this.isConnected) {
      if (this._subscribedFor !== (this.storeId ?? undefined)) this._start();
    }
  }

  private _stop(): void {
    const unsubscribe = this._unsubscribe;
    this._unsubscribe = null;
    this._subscribedFor = null;
    this._connected = false;
    unsubscribe?.then((stop) => stop()).catch(() => undefined);
  }

  private _start(): void {
    this._stop();
    const storeId = this.storeId ?? undefined;
    this._subscribedFor = storeId;
    this._error = "";
    this._unsubscribe = subscribeMatches(this.hass, (match) => {
      if (storeId === undefined || match.config_entry_id === storeId) this._arrived(match);
    });
    this._unsubscribe.then(
      () => {
        if (this._subscribedFor === storeId) this._connected = true;
      },
      (error) => {
        this._error = errorText(error);
      },
    );
    void this._loadPending(storeId);
  }

  private async _loadPending(storeId: string | undefined): Promise<void> {
    try {
      const page = await fetchIncidents(
        this.hass,
        { store_id: storeId, review_status: "pending" },
        null,
      );
      if (this._subscribedFor !== storeId) return;
      const known = new Set(this._matches.map((match) => match.incident_id));
      const pending = page.incidents.filter((incident) => !known.has(incident.incident_id));
      this._matches = [...this._matches, ...pending.map(fromIncident)].slice(0, KEPT);
    } catch (error) {
      this._error = errorText(error);
    }
  }

  private _arrived(match: LiveMatch): void {
    const others = this._matches.filter((known) => known.incident_id !== match.incident_id);
    this._matches = [fromLive(match), ...others].slice(0, KEPT);
    this.dispatchEvent(new CustomEvent("matched", { bubbles: true, composed: true }));
  }

  private _reviewed(event: CustomEvent<Incident>): void {
    const reviewed = fromIncident(event.detail);
    this._matches = this._matches.map((match) =>
      match.incident_id === reviewed.incident_id
        ? { ...match, review_status: reviewed.review_status, review_reason: reviewed.review_reason }
        : match,
    );
  }

  render() {
    return html`<div class="status">
        <span class="dot ${this._connected ? "on" : ""}"></span>
        <span class="muted"
          >${this._connected ? "Listening for matches" : "Connecting…"}</span
        >
      </div>
      ${this._error ? html`<p class="error">${this._error}</p>` : nothing}
      ${this._matches.length === 0
        ? html`<div class="card muted">No match waiting for review. New matches appear here.</div>`
        : html`<div class="grid" @reviewed=${this._reviewed}>
            ${repeat(
              this._matches,
              (match) => match.incident_id,
              (match) =>
                html`<smartshop-match-card
                  .hass=${this.hass}
                  .match=${match}
                ></smartshop-match-card>`,
            )}
          </div>`}`;
  }
}

define("smartshop-live-view", SmartShopLiveView);
