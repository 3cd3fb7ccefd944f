# cloud-init's GCE datasource refuses to run unless DMI says "Google Compute Engine", and
# cloud-init reads no DMI inside a container. This shim answers that one platform question
# as a real GCE VM would, then runs the unmodified cloud-init entry point.
import sys
import cloudinit.sources.DataSourceGCE as gce
gce.platform_reports_gce = lambda: True
# Our emulator (src/emulator/server.ts) takes only recursive=true; the real server also takes
# cloud-init's "True". Until the emulator is fixed, lower-case it here.
_readurl = gce.url_helper.readurl
gce.url_helper.readurl = lambda url, *a, **k: _readurl(url.replace('recursive=True', 'recursive=true'), *a, **k)
from cloudinit.cmd.main import main
sys.exit(main())
