import { promises as fs } from 'node:fs';
import { parseSubcommandArgs } from '../subcommand-args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { renderHuman } from '../../report/render-human.js';
import { parseSerialLog, type ParsedSerialPass, type RejectedLine } from '../../report/serial-parse.js';
import { REPORT_VERSION, type Report } from '../../report/model.js';
import { printable } from '../../text/shown.js';

const help = `Usage: gce-firstboot report parse FILE|- [--json]

Reads a captured serial console log (for example the output of
\`gcloud compute instances get-serial-port-output VM\`), finds the gce-firstboot lines among the
kernel's and other programs' lines (docs/serial-protocol.md), and prints the latest pass of each
instance (by the pass's own time): as tables, or as JSON with --json. "-" reads standard input.

Only lines where the agent's own write can put them count: at the start of a console line, or
behind a kernel message. Protocol text inside another process's line (\`name[pid]: ...\`, as
journald or syslog forward it) is rejected and listed. A pass is compliant only when its summary
says so and its own lines agree.

Exit codes: 0 every instance's latest pass compliant, 1 drift, errors or contradicting lines in a
latest pass, 2 usage error, unreadable FILE or no pass found.`;

async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return (await fs.readFile(file)).toString('utf8');
    } catch (error) {
      throw new UsageError(`${printable(file)}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const MAX_LISTED = 10;

function describeRejected(rejected: readonly RejectedLine[]): string {
  if (rejected.length === 0) return '';
  const listed = rejected.slice(0, MAX_LISTED).map((item) => `  line ${item.line}: ${item.reason}: ${item.text}\n`);
  const more = rejected.length > MAX_LISTED ? `  ... and ${rejected.length - MAX_LISTED} more\n` : '';
  return `${rejected.length} line(s) with the gce-firstboot prefix rejected (not where the agent writes):\n${listed.join('')}${more}`;
}

function describePass(pass: ParsedSerialPass): string {
  const notes = [];
  if (!pass.complete) notes.push('some lines unreadable');
  const header = `instance ${printable(pass.instance ?? '(unknown)')}, last pass ${printable(pass.time)}${notes.length ? ` (${notes.join('; ')})` : ''}\n`;
  const verdict = pass.problems.length
    ? `NOT COMPLIANT: the pass's own lines contradict it: ${printable(pass.problems.join('; '))}\n`
    : '';
  return `${header}${renderHuman(asReport(pass))}${verdict}\n`;
}

function asReport(pass: ParsedSerialPass): Report {
  return {
    version: REPORT_VERSION,
    mode: pass.mode,
    time: pass.time,
    ...(pass.instance ? { instanceId: pass.instance } : {}),
    modules: pass.modules.map((module) => ({ ...module, title: module.id })),
    // The verdict, not the claim: a pass whose lines contradict its summary is not shown compliant.
    summary: { ...pass.summary, compliant: pass.compliant },
  };
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'report parse FILE|-: the latest state per instance from a serial log',
  help,
  run: async (argv) => {
    const parsed = parseSubcommandArgs(argv, help);
    if (!parsed) return 0;
    const { positionals } = parsed;
    const values = { json: parsed.json };
    const [action, file, ...rest] = positionals;
    if (action !== 'parse') throw new UsageError(`report: expected "parse FILE|-", got ${action === undefined ? 'nothing' : `"${action}"`}`);
    if (file === undefined || rest.length) throw new UsageError('report parse: expected exactly one FILE or -');
    const state = parseSerialLog(await readInput(file));
    const passes = [...state.instances.values()];
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ instances: passes, unreadableLines: state.unreadable, rejectedLines: state.rejected }, null, 2)}\n`);
    } else {
      for (const pass of passes) process.stdout.write(describePass(pass));
      if (state.unreadable) process.stdout.write(`${state.unreadable} gce-firstboot line(s) could not be read\n`);
      process.stdout.write(describeRejected(state.rejected));
    }
    if (state.rejected.length) {
      process.stderr.write(`gce-firstboot: report parse: rejected ${state.rejected.length} line(s) with the gce-firstboot prefix where the agent does not write (first: line ${state.rejected[0]!.line})\n`);
    }
    if (passes.length === 0) {
      process.stderr.write(`gce-firstboot: no gce-firstboot pass found in ${file === '-' ? 'standard input' : printable(file)}\n`);
      return 2;
    }
    return passes.every((pass) => pass.compliant) ? 0 : 1;
  },
};
