/** Trends: when incidents happen, week by week, who comes back, and how reviews turn out. */

import { LitElement, html, css, svg, nothing } from "lit";
import type { PropertyValues } from "lit";

import { errorText, fetchTrends } from "./api.js";
import { WEEKDAYS, day, duration } from "./format.js";
import { define, shared } from "./styles.js";
import type { HomeAssistant, Outcome, Trends, WeekCount } from "./types.js";

const PALETTE = [
  "var(--primary-color, #03a9f4)",
  "var(--accent-color, #ff9800)",
  "#8e24aa",
  "#43a047",
  "#e53935",
  "#6d4c41",
  "#00897b",
  "#3949ab",
];

type WeeklyBy = "store" | "camera" | "category";

export class SmartShopTrendsView extends LitElement {
  static properties = {
    hass: { attribute: false },
    storeId: { attribute: false },
    _trends: { state: true },
    _by: { state: true },
    _error: { state: true },
  };

  declare hass: HomeAssistant;
  declare storeId: string | undefined;
  declare _trends: Trends | null;
  declare _by: WeeklyBy;
  declare _error: string;

  private _loadedFor: string | undefined | null = null;

  constructor() {
    super();
    this._trends = null;
    this._by = "camera";
    this._error = "";
  }

  static styles = [
    shared,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 16px;
      }
      .wide {
        grid-column: 1 / -1;
      }
      .heatmap {
        display: grid;
        grid-template-columns: 2.5em repeat(24, minmax(0, 1fr));
        gap: 2px;
        font-size: 0.7rem;
      }
      .heatmap .cell {
        aspect-ratio: 1.6;
        border-radius: 2px;
        background: var(--secondary-background-color, #f0f0f0);
      }
      .heatmap .hour,
      .heatmap .weekday {
        color: var(--secondary-text-color, #727272);
        text-align: center;
        overflow: hidden;
      }
      .heatmap .weekday {
        text-align: left;
      }
      svg {
        width: 100%;
        height: auto;
        max-height: 240px;
        display: block;
      }
      svg text {
        fill: var(--secondary-text-color, #727272);
        font-size: 10px;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        font-size: 0.8rem;
        margin-top: 8px;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 4px;
      }
      .bar {
        display: flex;
        height: 10px;
        border-radius: 5px;
        overflow: hidden;
        background: var(--secondary-background-color, #f0f0f0);
        min-width: 60px;
      }
      .bar .confirmed {
        background: var(--error-color, #db4437);
      }
      .bar .dismissed {
        background: var(--success-color, #43a047);
      }
      .bar .pending {
        background: var(--warning-color, #ffa600);
      }
      .figures {
        display: flex;
        gap: 24px;
        flex-wrap: wrap;
      }
      .figure strong {
        display: block;
        font-size: 1.6rem;
        font-weight: 500;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
        flex-wrap: wrap;
      }
      @media (max-width: 600px) {
        .heatmap .hour:not(.every6) {
          visibility: hidden;
        }
      }
    `,
  ];

  protected updated(changed: PropertyValues<this>): void {
    if ((changed.has("hass") || changed.has("storeId")) && this.hass) {
      const storeId = this.storeId ?? undefined;
      if (this._loadedFor !== storeId) {
        this._loadedFor = storeId;
        void this._load(storeId);
      }
    }
  }

  private async _load(storeId: string | undefined): Promise<void> {
    this._error = "";
    try {
      const trends = await fetchTrends(this.hass, { store_id: storeId });
      if (this._loadedFor === storeId) this._trends = trends;
    } catch (error) {
      this._error = errorText(error);
    }
  }

  private _heatmap(trends: Trends) {
    const counts = new Map(trends.heatmap.map((cell) => [`${cell.weekday}:${cell.hour}`, cell.count]));
    const most = Math.max(1, ...trends.heatmap.map((cell) => cell.count));
    const hours = Array.from({ length: 24 }, (_, hour) => hour);
    return html`<div class="card wide">
      <h3>When: weekday × hour (shop time)</h3>
      <div class="heatmap" role="grid" aria-label="Incidents by weekday and hour">
        <span></span>
        ${hours.map(
          (hour) => html`<span class="hour ${hour % 6 === 0 ? "every6" : ""}">${hour}</span>`,
        )}
        ${WEEKDAYS.map(
          (name, index) => html`<span class="weekday">${name}</span>
            ${hours.map((hour) => {
              const count = counts.get(`${index + 1}:${hour}`) ?? 0;
              const share = Math.round((100 * count) / most);
              const style = count
                ? `background: color-mix(in srgb, var(--primary-color, #03a9f4) ${Math.max(share, 12)}%, transparent)`
                : "";
              return html`<span
                class="cell"
                role="gridcell"
                data-count=${count}
                title="${name} ${hour}:00 — ${count} incident${count === 1 ? "" : "s"}"
                style=${style}
              ></span>`;
            })}`,
        )}
      </div>
    </div>`;
  }

  private _weekly(trends: Trends) {
    const rows: WeekCount[] = trends.weekly[this._by] ?? [];
    const weeks = [...new Set(rows.map((row) => row.week))].sort();
    const keys = [...new Set(rows.map((row) => row.key))];
    const labels = new Map(rows.map((row) => [row.key, row.label]));
    const totals = weeks.map((week) =>
      rows.filter((row) => row.week === week).reduce((sum, row) => sum + row.count, 0),
    );
    const most = Math.max(1, ...totals);
    const width = 800;
    const height = 200;
    const bottom = 20;
    const slot = weeks.length ? width / weeks.length : width;
    const barWidth = Math.max(4, Math.min(48, slot * 0.7));
    const bars = weeks.flatMap((week, index) => {
      let y = height - bottom;
      const x = index * slot + (slot - barWidth) / 2;
      const parts = keys.map((key, keyIndex) => {
        const count = rows.find((row) => row.week === week && row.key === key)?.count ?? 0;
        const barHeight = ((height - bottom - 10) * count) / most;
        y -= barHeight;
        return count
          ? svg`<rect x=${x} y=${y} width=${barWidth} height=${barHeight}
              fill=${PALETTE[keyIndex % PALETTE.length]}><title>${week} · ${labels.get(key)}: ${count}</title></rect>`
          : nothing;
      });
      const showLabel = weeks.length <= 12 || index % Math.ceil(weeks.length / 12) === 0;
      return [
        ...parts,
        showLabel
          ? svg`<text x=${index * slot + slot / 2} y=${height - 6} text-anchor="middle">${week.slice(5)}</text>`
          : nothing,
      ];
    });
    return html`<div class="card wide">
      <div class="head">
        <h3>Week by week</h3>
        <label
          >By
          <select
            name="weekly-by"
            @change=${(event: Event) => {
              this._by = (event.target as HTMLSelectElement).value as WeeklyBy;
            }}
          >
            ${(["store", "camera", "category"] as WeeklyBy[]).map(
              (by) => html`<option value=${by} ?selected=${by === this._by}>${by}</option>`,
            )}
          </select>
        </label>
      </div>
      ${weeks.length === 0
        ? html`<p class="muted">No incidents yet.</p>`
        : html`<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Incidents per week">
              <line
                x1="0"
                x2=${width}
                y1=${height - bottom}
                y2=${height - bottom}
                stroke="var(--divider-color, #e0e0e0)"
              ></line>
              ${bars}
            </svg>
            <div class="legend">
              ${keys.map(
                (key, index) =>
                  html`<span
                    ><span class="swatch" style="background: ${PALETTE[index % PALETTE.length]}"></span
                    >${labels.get(key)}</span
                  >`,
              )}
            </div>`}
    </div>`;
  }

  private _outcomes(title: string, rows: Outcome[]) {
    return html`<div class="card">
      <h3>${title}</h3>
      ${rows.length === 0
        ? html`<p class="muted">No reviews yet.</p>`
        : html`<table>
            <thead>
              <tr>
                <th></th>
                <th>Confirmed</th>
                <th>Not them</th>
                <th>Waiting</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${rows.map((row) => {
                const total = Math.max(1, row.confirmed + row.dismissed + row.pending);
                return html`<tr>
                  <td>${row.label}</td>
                  <td>${row.confirmed}</td>
                  <td>${row.dismissed}</td>
                  <td>${row.pending}</td>
                  <td>
                    <div class="bar">
                      <span class="confirmed" style="width: ${(100 * row.confirmed) / total}%"></span>
                      <span class="dismissed" style="width: ${(100 * row.dismissed) / total}%"></span>
                      <span class="pending" style="width: ${(100 * row.pending) / total}%"></span>
                    </div>
                  </td>
                </tr>`;
              })}
            </tbody>
          </table>`}
    </div>`;
  }

  private _repeatVisitors(trends: Trends) {
    return html`<div class="card">
      <h3>Repeat visitors</h3>
      ${trends.repeat_visitors.length === 0
        ? html`<p class="muted">Nobody seen on more than one day or camera.</p>`
        : html`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Person</th>
                  <th>Visits</th>
                  <th>Days</th>
                  <th>Cameras</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${trends.repeat_visitors.map(
                  (visitor) =>
                    html`<tr>
                      <td title=${visitor.person_id}>${visitor.person_id.slice(0, 8)}</td>
                      <td>${visitor.visits}</td>
                      <td>${visitor.days}</td>
                      <td>${visitor.cameras}</td>
                      <td>${day(this.hass, visitor.last_seen)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </div>`;
  }

  private _reviewTimes(trends: Trends) {
    const times = trends.review_times;
    return html`<div class="card">
      <h3>Time to review</h3>
      <div class="figures">
        <div class="figure"><strong>${duration(times.median_seconds)}</strong>median</div>
        <div class="figure"><strong>${duration(times.p90_seconds)}</strong>90% within</div>
        <div class="figure"><strong>${times.count}</strong>reviewed</div>
      </div>
    </div>`;
  }

  render() {
    if (this._error) return html`<p class="error">${this._error}</p>`;
    const trends = this._trends;
    if (!trends) return html`<p class="muted">Loading…</p>`;
    return html`<div class="grid">
      ${this._heatmap(trends)} ${this._weekly(trends)} ${this._repeatVisitors(trends)}
      ${this._reviewTimes(trends)}
      ${this._outcomes("Confirmed vs not them, per watchlist", trends.outcomes.watchlist ?? [])}
      ${this._outcomes("Confirmed vs not them, per camera", trends.outcomes.camera ?? [])}
    </div>`;
  }
}

define("smartshop-trends-view", SmartShopTrendsView);
