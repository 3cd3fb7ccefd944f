import type { Logger } from '../policy/types.js';
import type { Report } from '../report/model.js';

/** The compact status fleet tools read with the Compute API (guest attributes gce-firstboot/*). */
export function guestStatus(report: Report): Record<string, string> {
  const s = report.summary;
  const status = s.compliant ? 'compliant' : s.failed > 0 || s.metadataUnreachable ? 'error' : 'drift';
  return { 'gce-firstboot/status': status, 'gce-firstboot/drift': String(s.drift), 'gce-firstboot/last-pass': report.time };
}

/**
 * Publishes the status. Guest attributes switched off (403/404) is quiet (one debug line); a
 * server that cannot be reached is warned about once until it works again.
 */
export class GuestStatusPublisher {
  private offNoted = false;
  private failing = false;

  constructor(private readonly log: Logger) {}

  async publish(client: { putGuestAttribute(key: string, value: string, signal?: AbortSignal): Promise<boolean> }, status: Record<string, string>, signal: AbortSignal): Promise<void> {
    for (const [key, value] of Object.entries(status)) {
      if (signal.aborted) return;
      try {
        if (!(await client.putGuestAttribute(key, value, signal))) {
          if (!this.offNoted) this.log.debug('guest attributes are not enabled on this instance; status not published');
          this.offNoted = true;
          return;
        }
        this.failing = false;
      } catch (error) {
        if (signal.aborted) return;
        if (!this.failing) this.log.warn(`cannot publish guest attribute ${key}: ${(error as Error).message}`);
        this.failing = true;
        return;
      }
    }
  }
}
