/** What the panel needs of Home Assistant's `hass` object and what the console's commands return. */

export interface MessageBase {
  type: string;
  [key: string]: unknown;
}

export interface Connection {
  sendMessagePromise<T>(message: MessageBase): Promise<T>;
  subscribeMessage<T>(
    callback: (message: T) => void,
    message: MessageBase,
  ): Promise<() => Promise<void> | void>;
}

export interface HomeAssistant {
  connection: Connection;
  user?: { id: string; name: string; is_admin: boolean };
  language?: string;
  locale?: { language: string; time_zone?: string };
  config?: { time_zone?: string };
  themes?: { darkMode?: boolean };
}

export interface PanelRoute {
  prefix: string;
  path: string;
}

export type ReviewStatus = "pending" | "confirmed" | "dismissed";

export interface Totals {
  total: number;
  pending: number;
  confirmed: number;
  dismissed: number;
  last_incident: string | null;
}

export interface WatchlistSummary {
  watchlist_id: string;
  name: string;
  category: string;
}

/** A camera of a store, to take an enrolment photo from. */
export interface StoreCamera {
  entity_id: string;
  name: string;
}

export interface Store {
  store_id: string;
  name: string;
  console_for_staff: boolean;
  totals: Totals;
  watchlists: WatchlistSummary[];
  cameras: StoreCamera[];
}

export interface Stores {
  is_admin: boolean;
  can_edit_watchlists: boolean;
  stores: Store[];
}

export interface Incident {
  incident_id: string;
  occurred_at: string;
  store_id: string;
  store_name: string;
  camera: string;
  location: string;
  watchlist_id: string;
  watchlist: string;
  category: string;
  person_id: string;
  similarity: number | null; // null once the incident is anonymised
  review_status: ReviewStatus;
  reviewed_by: string | null;
  reviewed_at: string | null;
  review_reason: string | null;
  snapshot_url: string | null;
  reference_url: string | null;
}

/** An audit row of a review. */
export interface ReviewEvent {
  seq: number;
  at: string;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
}

export interface IncidentDetail {
  incident: Incident;
  person: WatchlistPerson | null;
  review_history: ReviewEvent[];
}

export interface IncidentPage {
  incidents: Incident[];
  next_cursor: string | null;
}

export interface IncidentFilters {
  store_id?: string;
  camera?: string;
  watchlist_id?: string;
  category?: string;
  review_status?: ReviewStatus;
  start?: string;
  end?: string;
}

export interface HeatCell {
  weekday: number;
  hour: number;
  count: number;
}

export interface WeekCount {
  week: string;
  key: string;
  label: string;
  count: number;
}

export interface RepeatVisitor {
  person_id: string;
  visits: number;
  days: number;
  cameras: number;
  first_seen: string;
  last_seen: string;
}

export interface Outcome extends Totals {
  key: string;
  label: string;
}

export interface ReviewTimes {
  count: number;
  median_seconds: number | null;
  p90_seconds: number | null;
}

export interface Trends {
  heatmap: HeatCell[];
  weekly: Record<string, WeekCount[]>;
  repeat_visitors: RepeatVisitor[];
  outcomes: Record<string, Outcome[]>;
  review_times: ReviewTimes;
}

export interface WatchlistPerson {
  person_id: string;
  name: string;
  store_id?: string;
  watchlist_id: string;
  watchlist?: string | null;
  category: string;
  reason: string;
  incident_reference: string;
  added_by: string;
  added_at: string;
  expires: string;
  review_date: string;
  review_due: boolean;
  expires_soon: boolean;
  photos: number;
  reference_url?: string | null;
}

export interface ErasureReceipt {
  [key: string]: unknown;
}

/** A match as the live subscription delivers it (the `smartshop_match` event's data). */
export interface LiveMatch {
  incident_id: string;
  person_id: string;
  watchlist: string;
  watchlist_id: string;
  category: string;
  similarity: number;
  camera: string;
  store: string;
  config_entry_id: string;
  location: string;
  seen_at: string;
  snapshot_url: string | null;
  reference_url: string | null;
  needs_confirmation?: boolean;
}

/** A period report the console made: the action's answer and links signed for this sign-in. */
export interface Report {
  pdf: string;
  csv: string;
  pdf_url: string;
  csv_url: string;
  start: string;
  end: string;
  incidents: number;
  confirmed: number;
  dismissed: number;
  pending: number;
}

/** One file the console made (an evidence pack or a subject-access archive), with its link. */
export interface MadeFile {
  file: string;
  url: string;
  [key: string]: unknown;
}

export type ExportKind = "report" | "evidence_pack" | "subject_access" | "audit_log" | "other";

export interface ExportFile {
  name: string;
  size: number;
  modified: string;
  kind: ExportKind;
  url: string;
}

/** A `smartshop_report_progress` event's data. */
export interface ReportProgress {
  report: string;
  step: string;
  done: number;
}
