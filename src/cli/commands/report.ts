import { promises as fs } from 'node:fs';
import { parseSubcommandArgs } from '../subcommand-args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { renderHuman } from '../../report/render-human.js';
import { parseSerialLog, type ParsedSerialPass } from '../../report/serial-parse.js';
import { REPORT_VERSION, type Report } from '../../report/model.js';

const help = `Usage: gce-firstboot report parse FILE|- [--json]

Reads a captured serial console log (for example the output of
\`gcloud compute instances get-serial-port-output VM\`), finds the gce-firstboot lines among the
kernel's and other programs' lines (docs/serial-protocol.md), and prints the latest pass of each
instance: as tables, or as JSON with --json. "-" reads standard input.

Exit: 0 every instance compliant, 1 drift or errors in a latest pass, 2 usage error or no pass found.`;

async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return (await fs.readFile(file)).toString('utf8');
    } catch (error) {
      throw new UsageError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function asReport(pass: ParsedSerialPass): Report {
  return {
    version: REPORT_VERSION,
    mode: pass.mode,
    time: pass.time,
    ...(pass.instance ? { instanceId: pass.instance } : {}),
    modules: pass.modules.map((module) => ({ ...module, title: module.id })),
    summary: pass.summary,
  };
}

export const reportCommand: Command = {
  name: 'report',
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
      process.stdout.write(`${JSON.stringify({ instances: passes, unreadableLines: state.unreadable }, null, 2)}\n`);
    } else {
      for (const pass of passes) {
        const note = pass.complete ? '' : ' (some lines unreadable)';
        process.stdout.write(`instance ${pass.instance ?? '(unknown)'}, last pass ${pass.time}${note}\n${renderHuman(asReport(pass))}\n`);
      }
      if (state.unreadable) process.stdout.write(`${state.unreadable} gce-firstboot line(s) could not be read\n`);
    }
    if (passes.length === 0) {
      process.stderr.write(`gce-firstboot: no gce-firstboot pass found in ${file === '-' ? 'standard input' : file}\n`);
      return 2;
    }
    return passes.every((pass) => pass.summary.compliant) ? 0 : 1;
  },
};
