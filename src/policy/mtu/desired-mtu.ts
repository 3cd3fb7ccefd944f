import type { ModuleContext } from '../types.js';

/** The MTU range a Compute Engine VPC network can have. */
export const VPC_MTU_MIN = 1300;
export const VPC_MTU_MAX = 8896;
const METADATA_PATH = 'instance/network-interfaces/0/mtu';

export interface DesiredMtu {
  mtu: number;
  /** Which source decided, in words for the report. */
  source: string;
  /** Why the metadata value was not used, when it was present but bad. */
  rejected?: string;
}

/** The VPC's MTU from metadata when it gives a valid one, else the config value (default 1460). */
export async function desiredMtu(ctx: ModuleContext): Promise<DesiredMtu> {
  const configured = Number(ctx.options.mtu);
  const raw = await ctx.metadata.text(METADATA_PATH);
  const fallback = `config mtu = ${configured}`;
  if (raw === undefined) return { mtu: configured, source: `${fallback} (metadata ${METADATA_PATH} absent)` };
  const text = raw.trim();
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (value >= VPC_MTU_MIN && value <= VPC_MTU_MAX) return { mtu: value, source: `metadata ${METADATA_PATH}` };
  return {
    mtu: configured,
    source: fallback,
    rejected: `metadata ${METADATA_PATH} is ${JSON.stringify(text.slice(0, 40))}, not a VPC MTU (${VPC_MTU_MIN}-${VPC_MTU_MAX}); using ${fallback}`,
  };
}
