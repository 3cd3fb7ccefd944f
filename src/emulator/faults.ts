/** Switches that make the emulator misbehave the ways a real network or a fake server can. */
export interface Faults {
  /** Delay every answer by this many ms. */
  delayMs?: number;
  /** Answer the next N requests with HTTP 503. */
  serverErrors?: number;
  /** Close connections without answering (server "down"). */
  drop?: boolean;
  /** Answer without the Metadata-Flavor header (an impostor). */
  noFlavorHeader?: boolean;
  /** Answer with a redirect to this URL. */
  redirectTo?: string;
  /** Send half the body, then cut the connection. */
  truncate?: boolean;
  /** Send a body of this many bytes instead of the value. */
  oversizeBytes?: number;
  /** Send bytes that are not UTF-8. */
  nonUtf8?: boolean;
  /** Answer guest-attribute writes with this status (403 or 404: guest attributes switched off). */
  guestAttributesStatus?: number;
}

export const FAULT_KEYS: readonly (keyof Faults)[] = [
  'delayMs',
  'serverErrors',
  'drop',
  'noFlavorHeader',
  'redirectTo',
  'truncate',
  'oversizeBytes',
  'nonUtf8',
  'guestAttributesStatus',
];
