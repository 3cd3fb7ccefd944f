import { REPORT_VERSION, summarize, type ModuleResult, type Report } from '../report/model.js';

/**
 * The report of a pass that gave none (it crashed, was killed, or ran over its budget): the
 * daemon itself as one failed module, so the serial console, STATUS= and the guest attributes
 * say so ("failed: watch") like any failed pass.
 */
export function failedPassReport(reason: string, at: Date): Report {
  const modules: ModuleResult[] = [{ id: 'watch', title: 'the gce-firstboot daemon', status: 'failed', findings: [], changes: [], reason }];
  return { version: REPORT_VERSION, mode: 'check', time: at.toISOString(), modules, summary: summarize(modules) };
}
