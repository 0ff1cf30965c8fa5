/** SmartShop's manager console: a Home Assistant sidebar panel (`smartshop-panel`). */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";

import { errorText, fetchStores } from "./api.js";
import "./incidents-view.js";
import "./live-view.js";
import "./match-card.js";
import "./reports-view.js";
import { define, shared } from "./styles.js";
import "./trends-view.js";
import type { HomeAssistant, PanelRoute, Store } from "./types.js";
import "./watchlist-view.js";

const VIEWS = [
  { path: "live", label: "Live" },
  { path: "incidents", label: "Incidents" },
  { path: "trends", label: "Trends" },
  { path: "watchlist", label: "Watchlist" },
  { path: "reports", label: "Reports" },
] as const;

/** Views for administrators only (their commands refuse everyone else). */
const ADMIN_VIEWS: readonly string[] = ["reports"];

type ViewPath = (typeof VIEWS)[number]["path"];

function viewOf(route: PanelRoute | undefined): ViewPath {
  const first = (route?.path ?? "").split("/").filter(Boolean)[0];
  return VIEWS.find((view) => view.path === first)?.path ?? "live";
}

export class SmartShopPanel extends LitElement {
  static properties = {
    hass: { attribute: false },
    narrow: { type: Boolean },
    route: { attribute: false },
    panel: { attribute: false },
    _view: { state: true },
    _stores: { state: true },
    _canEdit: { state: true },
    _storeId: { state: true },
    _error: { state: true },
  };

  declare hass: HomeAssistant;
  declare narrow: boolean;
  declare route: PanelRoute | undefined;
  declare panel: unknown;
  declare _view: ViewPath;
  declare _stores: Store[];
  declare _canEdit: boolean;
  declare _storeId: string | undefined;
  declare _error: string;

  private _storesLoaded = false;
  private _storesMarked = false;

  constructor() {
    super();
    this.narrow = false;
    this._view = "live";
    this._stores = [];
    this._canEdit = false;
    this._storeId = undefined;
    this._error = "";
  }

  static styles = [
    shared,
    css`
      :host {
        background: var(--primary-background-color, #fafafa);
        min-height: 100vh;
      }
      .top {
        position: sticky;
        top: 0;
        z-index: 2;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        border-bottom: var(--app-header-border-bottom, none);
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        height: var(--header-height, 56px);
        padding: 0 12px;
      }
      header h1 {
        font-size: 1.25rem;
        font-weight: 400;
        margin: 0;
        flex: 1;
      }
      .menu {
        background: none;
        border: none;
        color: inherit;
        font-size: 1.5rem;
        padding: 4px 8px;
        min-height: 0;
      }
      nav {
        display: flex;
        gap: 4px;
        padding: 0 12px;
        overflow-x: auto;
      }
      nav a {
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        opacity: 0.75;
        text-decoration: none;
        padding: 10px 12px;
        border-bottom: 2px solid transparent;
        white-space: nowrap;
      }
      nav a[aria-current="page"] {
        opacity: 1;
        border-bottom-color: currentColor;
      }
      main {
        padding: 16px;
        max-width: 1400px;
        margin: 0 auto;
      }
      .stores {
        display: flex;
        gap: 8px;
        overflow-x: auto;
        margin-bottom: 16px;
        padding-bottom: 4px;
      }
      .store {
        text-align: left;
        flex: 0 0 auto;
        min-width: 150px;
        display: flex;
        flex-direction: column;
        gap: 2px;
        background: var(--card-background-color, #fff);
      }
      .store[aria-pressed="true"] {
        border-color: var(--primary-color, #03a9f4);
        box-shadow: inset 0 0 0 1px var(--primary-color, #03a9f4);
      }
      .store .totals {
        font-size: 0.8rem;
        color: var(--secondary-text-color, #727272);
      }
      @media (max-width: 600px) {
        main {
          padding: 8px;
        }
        .store {
          min-width: 120px;
        }
      }
    `,
  ];

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("route")) this._view = viewOf(this.route);
  }

  protected firstUpdated(): void {
    // User Timing marks (benchmarks/panel_first_render.py reads them): first render, and the
    // first render with the stores' totals.
    performance.mark("smartshop-panel-rendered");
  }

  protected updated(changed: PropertyValues<this>): void {
    if (!this._storesMarked && this._stores.length > 0) {
      this._storesMarked = true;
      performance.mark("smartshop-stores-rendered");
    }
    if (changed.has("hass") && this.hass && !this._storesLoaded) {
      this._storesLoaded = true;
      void this._loadStores();
    }
  }

  /** The stores and their totals, again after a review or a new match changed them. */
  private async _loadStores(): Promise<void> {
    try {
      const stores = await fetchStores(this.hass);
      this._stores = stores.stores;
      this._canEdit = stores.can_edit_watchlists;
    } catch (error) {
      this._error = errorText(error);
    }
  }

  private _navigate(event: Event, view: ViewPath): void {
    event.preventDefault();
    this._view = view;
    const prefix = this.route?.prefix ?? "/smartshop";
    history.pushState(null, "", `${prefix}/${view}`);
    window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
  }

  private _toggleMenu(): void {
    this.dispatchEvent(new CustomEvent("hass-toggle-menu", { bubbles: true, composed: true }));
  }

  private _selectStore(storeId: string | undefined): void {
    this._storeId = storeId;
    void this._loadStores();
  }

  private _storeBar() {
    if (this._stores.length === 0) return nothing;
    const all = this._stores.reduce(
      (sum, store) => ({
        total: sum.total + store.totals.total,
        pending: sum.pending + store.totals.pending,
      }),
      { total: 0, pending: 0 },
    );
    const button = (
      storeId: string | undefined,
      name: string,
      total: number,
      pending: number,
    ) => html`<button
      class="store"
      data-store=${storeId ?? ""}
      aria-pressed=${this._storeId === storeId ? "true" : "false"}
      @click=${() => this._selectStore(storeId)}
    >
      <span>${name}</span>
      <span class="totals">${total} incidents · ${pending} waiting</span>
    </button>`;
    return html`<div class="stores" role="group" aria-label="Store">
      ${this._stores.length > 1 ? button(undefined, "All stores", all.total, all.pending) : nothing}
      ${this._stores.map((store) =>
        button(store.store_id, store.name, store.totals.total, store.totals.pending),
      )}
    </div>`;
  }

  private _content() {
    const storeId = this._storeId;
    switch (this._view) {
      case "incidents":
        return html`<smartshop-incidents-view
          .hass=${this.hass}
          .storeId=${storeId}
          .stores=${this._stores}
          .isAdmin=${this._canEdit}
        ></smartshop-incidents-view>`;
      case "trends":
        return html`<smartshop-trends-view .hass=${this.hass} .storeId=${storeId}></smartshop-trends-view>`;
      case "watchlist":
        return html`<smartshop-watchlist-view
          .hass=${this.hass}
          .storeId=${storeId}
          .stores=${this._stores}
          .canEdit=${this._canEdit}
        ></smartshop-watchlist-view>`;
      case "reports":
        return html`<smartshop-reports-view
          .hass=${this.hass}
          .storeId=${storeId}
          .stores=${this._stores}
        ></smartshop-reports-view>`;
      default:
        return html`<smartshop-live-view .hass=${this.hass} .storeId=${storeId}></smartshop-live-view>`;
    }
  }

  render() {
    const prefix = this.route?.prefix ?? "/smartshop";
    return html`<div class="top">
        <header>
        ${this.narrow
          ? html`<button class="menu" aria-label="Menu" @click=${this._toggleMenu}>☰</button>`
          : nothing}
        <h1>SmartShop</h1>
      </header>
      <nav>
        ${VIEWS.filter((view) => this._canEdit || !ADMIN_VIEWS.includes(view.path)).map(
          (view) =>
            html`<a
              href="${prefix}/${view.path}"
              aria-current=${view.path === this._view ? "page" : "false"}
              @click=${(event: Event) => this._navigate(event, view.path)}
              >${view.label}</a
            >`,
        )}
        </nav>
      </div>
      <main @reviewed=${this._loadStores} @matched=${this._loadStores}>
        ${this._error ? html`<p class="error">${this._error}</p>` : nothing} ${this._storeBar()}
        ${this.hass ? this._content() : nothing}
      </main>`;
  }
}

define("smartshop-panel", SmartShopPanel);
