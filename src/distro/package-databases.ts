/** dpkg keeps one file list per installed package (Debian, Ubuntu). */
export const DPKG_INFO = '/var/lib/dpkg/info';
/** Where RPM distributions keep the database: /usr/lib/sysimage/rpm (Fedora, RHEL 10), /var/lib/rpm (RHEL 8/9). */
export const RPM_DIRS: readonly string[] = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'];
/** rpm's database backends by the file each one keeps: sqlite (RHEL 9, Fedora), ndb (SUSE), Berkeley DB read-only (RHEL 8). */
export const RPM_BACKENDS: Readonly<Record<string, string>> = { 'rpmdb.sqlite': 'sqlite', 'Packages.db': 'ndb', Packages: 'bdb_ro' };
