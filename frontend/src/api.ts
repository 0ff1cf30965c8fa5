/** The console's WebSocket commands: the panel talks to Home Assistant through these only. */

import type {
  ErasureReceipt,
  HomeAssistant,
  Incident,
  IncidentDetail,
  IncidentFilters,
  IncidentPage,
  LiveMatch,
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

export function removePerson(hass: HomeAssistant, personId: string): Promise<ErasureReceipt> {
  return hass.connection.sendMessagePromise<ErasureReceipt>({
    type: "smartshop/watchlist/remove",
    person_id: personId,
  });
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
