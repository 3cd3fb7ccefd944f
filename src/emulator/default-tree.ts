import type { Tree } from './tree.js';

/** What the demo's emulated instance looks like: a fresh VM on a default VPC. */
export function defaultInstanceTree(): Tree {
  return {
    instance: {
      id: '4520031799277581759',
      hostname: 'demo-vm.us-central1-a.c.demo-project.internal',
      name: 'demo-vm',
      zone: 'projects/123456789012/zones/us-central1-a',
      'machine-type': 'projects/123456789012/machineTypes/e2-small',
      attributes: {},
      'network-interfaces': [{ ip: '10.128.0.2', mac: '42:01:0a:80:00:02', mtu: 1460, network: 'projects/123456789012/networks/default' }],
    },
    project: { 'project-id': 'demo-project', 'numeric-project-id': 123456789012, attributes: {} },
  };
}
