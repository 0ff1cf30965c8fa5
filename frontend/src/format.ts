/** Times, numbers and labels as staff read them. */

import type { HomeAssistant } from "./types.js";

function locale(hass: HomeAssistant | undefined): string {
  return hass?.locale?.language ?? hass?.language ?? "en";
}

function zone(hass: HomeAssistant | undefined): string | undefined {
  return hass?.config?.time_zone || undefined;
}

export function dateTime(hass: HomeAssistant | undefined, iso: string | null | undefined): string {
  if (!iso) return "—";
  const value = new Date(iso);
  if (Number.isNaN(value.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(hass), {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: zone(hass),
  }).format(value);
}

export function day(hass: HomeAssistant | undefined, iso: string | null | undefined): string {
  if (!iso) return "—";
  const value = new Date(iso);
  if (Number.isNaN(value.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(hass), { dateStyle: "medium", timeZone: zone(hass) }).format(
    value,
  );
}

/** A similarity (0–100) as a percentage with one decimal; a dash once anonymised (kept no more). */
export function percent(similarity: number | null): string {
  if (similarity === null) return "—";
  return `${similarity.toFixed(1)}%`;
}

/** A duration in seconds, in the largest unit that keeps it readable. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function statusLabel(status: string): string {
  const labels: Record<string, string> = {
    pending: "Waiting for review",
    confirmed: "Confirmed",
    confirm: "Confirmed",
    dismissed: "Not them",
    dismiss: "Not them",
  };
  return labels[status] ?? status;
}

/** `2026-12-02` for a date input, in local time. */
export function dateInput(iso: string): string {
  const value = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

/** A file size in bytes, kB or MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1000 * 1000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1000 / 1000).toFixed(1)} MB`;
}

/** A local day `days` before today, for a date input. */
export function daysAgo(days: number, today: Date = new Date()): string {
  const value = new Date(today);
  value.setDate(value.getDate() - days);
  return dateInput(value.toISOString());
}
