/** Reports: a period report (PDF and CSV) for the chosen store, and the exports folder's files. */

import { LitElement, html, css, nothing } from "lit";
import type { PropertyValues } from "lit";

import { errorText, fetchExports, generateReport, subscribeReportProgress } from "./api.js";
import { dateTime, daysAgo, fileSize } from "./format.js";
import { define, shared } from "./styles.js";
import type { ExportFile, ExportKind, HomeAssistant, Report, Store } from "./types.js";

const KINDS: Record<ExportKind, string> = {
  report: "Report",
  evidence_pack: "Evidence pack",
  subject_access: "Subject access",
  audit_log: "Audit log",
  other: "File",
};

export class SmartShopReportsView extends LitElement {
  static properties = {
    hass: { attribute: false },
    storeId: { attribute: false },
    stores: { attribute: false },
    _start: { state: true },
    _end: { state: true },
    _working: { state: true },
    _step: { state: true },
    _report: { state: true },
    _files: { state: true },
    _error: { state: true },
  };

  declare hass: HomeAssistant;
  declare storeId: string | undefined;
  declare stores: Store[];
  declare _start: string;
  declare _end: string;
  declare _working: boolean;
  declare _step: string;
  declare _report: Report | null;
  declare _files: ExportFile[] | null;
  declare _error: string;

  private _loaded = false;

  constructor() {
    super();
    this.stores = [];
    // The last seven days, today included.
    this._start = daysAgo(6);
    this._end = daysAgo(0);
    this._working = false;
    this._step = "";
    this._report = null;
    this._files = null;
    this._error = "";
  }

  static styles = [
    shared,
    css`
      .period {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
      }
      .made {
        margin-top: 12px;
      }
      .links {
        display: flex;
        flex-wrap: wrap;
        gap: 12px;
        margin-top: 8px;
      }
      a {
        color: var(--primary-color, #03a9f4);
      }
      .files {
        margin-top: 16px;
      }
      .name {
        overflow-wrap: anywhere;
      }
      @media (max-width: 600px) {
        .period {
          grid-template-columns: 1fr 1fr;
        }
        .hide-narrow {
          display: none;
        }
      }
    `,
  ];

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has("hass") && this.hass && !this._loaded) {
      this._loaded = true;
      void this._loadFiles();
    }
  }

  private async _loadFiles(): Promise<void> {
    try {
      this._files = await fetchExports(this.hass);
    } catch (error) {
      this._files = [];
      this._error = errorText(error);
    }
  }

  private _storeName(): string {
    if (!this.storeId) return "All stores";
    return this.stores.find((store) => store.store_id === this.storeId)?.name ?? this.storeId;
  }

  private async _make(): Promise<void> {
    this._working = true;
    this._step = "";
    this._error = "";
    this._report = null;
    let unsubscribe: (() => Promise<void> | void) | null = null;
    try {
      unsubscribe = await subscribeReportProgress(this.hass, (progress) => {
        this._step = `${progress.step} (${progress.done})`;
      }).catch(() => null);
      this._report = await generateReport(this.hass, this._start, this._end, this.storeId);
      await this._loadFiles();
    } catch (error) {
      this._error = errorText(error);
    } finally {
      if (unsubscribe) await unsubscribe();
      this._working = false;
    }
  }

  private _made(report: Report) {
    return html`<div class="made" data-report=${report.pdf}>
      <div>
        ${report.start} – ${report.end}: ${report.incidents} incidents · ${report.confirmed}
        confirmed · ${report.dismissed} not them · ${report.pending} waiting
      </div>
      <div class="links">
        <a name="pdf" href=${report.pdf_url} download=${report.pdf}>PDF report</a>
        <a name="csv" href=${report.csv_url} download=${report.csv}>CSV table</a>
      </div>
    </div>`;
  }

  private _fileList(files: ExportFile[]) {
    if (files.length === 0) return html`<p class="muted">No files yet.</p>`;
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>File</th>
            <th>Kind</th>
            <th class="hide-narrow">Size</th>
            <th class="hide-narrow">Made</th>
          </tr>
        </thead>
        <tbody>
          ${files.map(
            (file) =>
              html`<tr data-file=${file.name}>
                <td class="name"><a href=${file.url} download=${file.name}>${file.name}</a></td>
                <td>${KINDS[file.kind] ?? file.kind}</td>
                <td class="hide-narrow">${fileSize(file.size)}</td>
                <td class="hide-narrow">${dateTime(this.hass, file.modified)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  render() {
    return html`<div class="card">
        <h2>Period report</h2>
        <p class="muted">
          A PDF with the period's figures and charts and a CSV of its incidents, without names.
          Store: ${this._storeName()}.
        </p>
        <div class="period">
          <label
            >From
            <input
              type="date"
              name="start"
              .value=${this._start}
              @change=${(event: Event) => (this._start = (event.target as HTMLInputElement).value)}
            />
          </label>
          <label
            >Until
            <input
              type="date"
              name="end"
              .value=${this._end}
              @change=${(event: Event) => (this._end = (event.target as HTMLInputElement).value)}
            />
          </label>
        </div>
        <div class="actions">
          <button
            class="primary"
            name="make-report"
            ?disabled=${this._working || !this._start || !this._end}
            @click=${this._make}
          >
            ${this._working ? "Working…" : "Make report"}
          </button>
          ${this._working && this._step
            ? html`<span class="muted" role="status">${this._step}</span>`
            : nothing}
        </div>
        ${this._error ? html`<p class="error">${this._error}</p>` : nothing}
        ${this._report ? this._made(this._report) : nothing}
      </div>
      <div class="card files">
        <h2>Exports folder</h2>
        ${this._files === null ? html`<p class="muted">Loading…</p>` : this._fileList(this._files)}
      </div>`;
  }
}

define("smartshop-reports-view", SmartShopReportsView);
