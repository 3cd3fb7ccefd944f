/** Another agent that may do one of our duties, and the switch that turns its part off. */
export interface Overlap {
  agent: string;
  duty: 'host-keys' | 'hostname';
  /** Where the switch lives and what it is called, for the finding's text. */
  switchName: string;
  file: string;
  /** The switch's value that means "the other agent leaves this to us". */
  offValue: string;
}

export const GUEST_AGENT_CONFIG = '/etc/default/instance_configs.cfg';
export const CLOUD_INIT_DROP_IN = '/etc/cloud/cloud.cfg.d/99-gce-firstboot.cfg';

export const GUEST_AGENT_MARKERS = [
  '/usr/bin/google_guest_agent',
  '/lib/systemd/system/google-guest-agent.service',
  '/usr/lib/systemd/system/google-guest-agent.service',
  '/usr/bin/google_instance_setup',
  '/lib/systemd/system/google-instance-setup.service',
  '/usr/lib/systemd/system/google-instance-setup.service',
];
export const CLOUD_INIT_MARKERS = ['/usr/bin/cloud-init', '/etc/cloud/cloud.cfg'];

export const GUEST_AGENT_SWITCHES: readonly Omit<Overlap, 'agent'>[] = [
  { duty: 'host-keys', switchName: '[InstanceSetup] set_host_keys', file: GUEST_AGENT_CONFIG, offValue: 'false' },
  { duty: 'hostname', switchName: '[Unstable] set_hostname', file: GUEST_AGENT_CONFIG, offValue: 'false' },
];

export const CLOUD_INIT_SWITCHES: readonly Omit<Overlap, 'agent'>[] = [
  { duty: 'host-keys', switchName: 'ssh_deletekeys', file: CLOUD_INIT_DROP_IN, offValue: 'false' },
  { duty: 'hostname', switchName: 'preserve_hostname', file: CLOUD_INIT_DROP_IN, offValue: 'true' },
];

/** The guest agent's defaults when the switch is not set: it does both duties. */
export const GUEST_AGENT_DEFAULTS: Record<string, string> = {
  '[InstanceSetup] set_host_keys': 'true',
  '[Unstable] set_hostname': 'true',
};

/** cloud-init's defaults: it deletes and regenerates keys per instance and sets the hostname. */
export const CLOUD_INIT_DEFAULTS: Record<string, string> = { ssh_deletekeys: 'true', preserve_hostname: 'false' };
