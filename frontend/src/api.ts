/** The console's WebSocket commands: the panel talks to Home Assistant through these only. */

import type {
  ErasureReceipt,
  ExportFile,
  HomeAssistant,
  Incident,
  IncidentDetail,
  IncidentFilters,
  IncidentPage,
  LiveMatch,
  MadeFile,
  Report,
  ReportProgress,
  Stores,
  Trends,
  WatchlistPerson,
} from "./types.js";

export const PAGE_SIZE = 25;

type Message = Record<string, unknown>;

/** The filters as the commands take them: one store becomes `store_ids`, empty ones are left out. */
function filterFields(filters: IncidentFilters): Message {
  const message: Message = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === "") continue;
    if (key === "store_id") message.store_ids = [value];
    else message[key] = value;
  }
  return message;
}

export function fetchStores(hass: HomeAssistant): Promise<Stores> {
  return hass.connection.sendMessagePromise<Stores>({ type: "smartshop/stores" });
}

export function fetchIncidents(
  hass: HomeAssistant,
  filters: IncidentFilters,
  cursor: string | null,
): Promise<IncidentPage> {
  return hass.connection.sendMessagePromise<IncidentPage>({
    type: "smartshop/incidents/list",
    limit: PAGE_SIZE,
    ...filterFields(filters),
    ...(cursor ? { cursor } : {}),
  });
}

export function fetchIncident(hass: HomeAssistant, incidentId: string): Promise<IncidentDetail> {
  return hass.connection.sendMessagePromise<IncidentDetail>({
    type: "smartshop/incidents/get",
    incident_id: incidentId,
  });
}

export type Decision = "confirm" | "dismiss";

export async function reviewIncident(
  hass: HomeAssistant,
  incidentId: string,
  decision: Decision,
  reason?: string,
): Promise<Incident> {
  const result = await hass.connection.sendMessagePromise<{ incident: Incident }>({
    type: "smartshop/incidents/review",
    incident_id: incidentId,
    decision,
    ...(reason ? { reason } : {}),
  });
  return result.incident;
}

export function fetchTrends(hass: HomeAssistant, filters: IncidentFilters): Promise<Trends> {
  return hass.connection.sendMessagePromise<Trends>({
    type: "smartshop/trends",
    ...filterFields(filters),
  });
}

export async function fetchWatchlist(
  hass: HomeAssistant,
  storeId: string | undefined,
): Promise<WatchlistPerson[]> {
  const result = await hass.connection.sendMessagePromise<{ people: WatchlistPerson[] }>({
    type: "smartshop/watchlist/list",
    ...filterFields({ store_id: storeId }),
  });
  return result.people;
}

/** What an administrator may change of an entry; dates as `YYYY-MM-DD`. */
export interface PersonChanges {
  category?: string;
  reason?: string;
  expires?: string;
  /** Remove only: the legal claim the evidence packs are kept for. */
  keep_evidence_for?: string;
}

export async function updatePerson(
  hass: HomeAssistant,
  personId: string,
  changes: PersonChanges,
): Promise<void> {
  await hass.connection.sendMessagePromise<unknown>({
    type: "smartshop/watchlist/update",
    person_id: personId,
    ...changes,
  });
}

/** A new watchlist entry as the enrolment form sends it; dates as `YYYY-MM-DD`, the photo from
 * a camera (`camera_entity_id`) or uploaded (`image`, base64 JPEG or PNG). */
export interface Enrolment {
  store_id: string;
  watchlist: string;
  name: string;
  category?: string;
  reason: string;
  incident_reference: string;
  justification?: string;
  attest_adult: boolean;
  attest_not_vulnerable: boolean;
  expires?: string;
  review_date?: string;
  camera_entity_id?: string;
  image?: string;
}

export interface Enrolled {
  person_id: string;
  watchlist: string;
  status: string;
}

export function enrollPerson(hass: HomeAssistant, enrolment: Enrolment): Promise<Enrolled> {
  const fields: Message = {};
  for (const [key, value] of Object.entries(enrolment)) {
    if (value !== undefined && value !== "") fields[key] = value;
  }
  return hass.connection.sendMessagePromise<Enrolled>({
    type: "smartshop/watchlist/enroll",
    ...fields,
  });
}

/** Erase an entry; `keepEvidenceFor` names the legal claim its evidence packs are kept for. */
export function removePerson(
  hass: HomeAssistant,
  personId: string,
  keepEvidenceFor?: string,
): Promise<ErasureReceipt> {
  return hass.connection.sendMessagePromise<ErasureReceipt>({
    type: "smartshop/watchlist/remove",
    person_id: personId,
    ...(keepEvidenceFor ? { keep_evidence_for: keepEvidenceFor } : {}),
  });
}

/** A period report (local days, `YYYY-MM-DD`, both included), for one store or all. */
export function generateReport(
  hass: HomeAssistant,
  start: string,
  end: string,
  storeId: string | undefined,
): Promise<Report> {
  return hass.connection.sendMessagePromise<Report>({
    type: "smartshop/reports/generate",
    start,
    end,
    ...(storeId ? { store_id: storeId } : {}),
  });
}

/** The steps of the reports being made, as they happen (administrators may subscribe). */
export function subscribeReportProgress(
  hass: HomeAssistant,
  onProgress: (progress: ReportProgress) => void,
): Promise<() => Promise<void> | void> {
  return hass.connection.subscribeMessage<{ data: ReportProgress }>(
    (event) => onProgress(event.data),
    { type: "subscribe_events", event_type: "smartshop_report_progress" },
  );
}

export function createEvidencePack(hass: HomeAssistant, incidentId: string): Promise<MadeFile> {
  return hass.connection.sendMessagePromise<MadeFile>({
    type: "smartshop/incidents/evidence_pack",
    incident_id: incidentId,
  });
}

export function exportPersonData(hass: HomeAssistant, personId: string): Promise<MadeFile> {
  return hass.connection.sendMessagePromise<MadeFile>({
    type: "smartshop/watchlist/export",
    person_id: personId,
  });
}

export async function fetchExports(hass: HomeAssistant): Promise<ExportFile[]> {
  const result = await hass.connection.sendMessagePromise<{ files: ExportFile[] }>({
    type: "smartshop/exports/list",
  });
  return result.files;
}

/** Every match of the stores this user may see; the caller picks the store it shows. */
export function subscribeMatches(
  hass: HomeAssistant,
  onMatch: (match: LiveMatch) => void,
): Promise<() => Promise<void> | void> {
  return hass.connection.subscribeMessage<LiveMatch>(onMatch, {
    type: "smartshop/subscribe_matches",
  });
}

/** The message of an error Home Assistant returned (or anything thrown). */
export function errorText(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}
