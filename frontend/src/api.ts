/** The console's WebSocket commands: the panel talks to Home Assistant through these only. */

import type {
  ErasureReceipt,
  HomeAssistant,
  Incident,
  IncidentDetail,
  IncidentFilters,
  IncidentPage,
  LiveMatch,
  StoreTotals,
  Trends,
  WatchlistPerson,
} from "./types.js";

export const PAGE_SIZE = 25;

type Raw = Record<string, unknown>;

function clean(filters: IncidentFilters): Raw {
  const message: Raw = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value !== undefined && value !== "") message[key] = value;
  }
  return message;
}

export async function fetchStores(hass: HomeAssistant): Promise<StoreTotals[]> {
  const result = await hass.connection.sendMessagePromise<{ stores: StoreTotals[] }>({
    type: "smartshop/stores",
  });
  return result.stores;
}

export async function fetchIncidents(
  hass: HomeAssistant,
  filters: IncidentFilters,
  cursor: string | null,
): Promise<IncidentPage> {
  return hass.connection.sendMessagePromise<IncidentPage>({
    type: "smartshop/incidents/list",
    limit: PAGE_SIZE,
    ...clean(filters),
    ...(cursor ? { cursor } : {}),
  });
}

export async function fetchIncident(
  hass: HomeAssistant,
  incidentId: string,
): Promise<IncidentDetail> {
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
  const message: Raw = { incident_id: incidentId, decision };
  if (reason) message.reason = reason;
  const result = await hass.connection.sendMessagePromise<{ incident: Incident }>({
    type: "smartshop/incidents/review",
    ...message,
  });
  return result.incident;
}

export async function fetchTrends(hass: HomeAssistant, filters: IncidentFilters): Promise<Trends> {
  return hass.connection.sendMessagePromise<Trends>({
    type: "smartshop/trends",
    ...clean(filters),
  });
}

export async function fetchWatchlist(
  hass: HomeAssistant,
  storeId: string | undefined,
): Promise<WatchlistPerson[]> {
  const result = await hass.connection.sendMessagePromise<{ people: WatchlistPerson[] }>({
    type: "smartshop/watchlist/list",
    ...clean({ store_id: storeId }),
  });
  return result.people;
}

export interface PersonChanges {
  category?: string;
  reason?: string;
  expires_at?: string;
}

export async function updatePerson(
  hass: HomeAssistant,
  personId: string,
  changes: PersonChanges,
): Promise<WatchlistPerson> {
  const result = await hass.connection.sendMessagePromise<{ person: WatchlistPerson }>({
    type: "smartshop/watchlist/update",
    person_id: personId,
    ...changes,
  });
  return result.person;
}

export async function removePerson(
  hass: HomeAssistant,
  personId: string,
): Promise<ErasureReceipt> {
  const result = await hass.connection.sendMessagePromise<{ receipt: ErasureReceipt }>({
    type: "smartshop/watchlist/remove",
    person_id: personId,
  });
  return result.receipt;
}

export function subscribeMatches(
  hass: HomeAssistant,
  storeId: string | undefined,
  onMatch: (match: LiveMatch) => void,
): Promise<() => Promise<void> | void> {
  return hass.connection.subscribeMessage<LiveMatch>(onMatch, {
    type: "smartshop/subscribe_matches",
    ...clean({ store_id: storeId }),
  });
}

/** The message of an error Home Assistant returned (or anything thrown). */
export function errorText(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}
