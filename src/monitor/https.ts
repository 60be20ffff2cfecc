// The https monitor: the http monitor's probe over TLS (http.ts), verifying the certificate
// unless allow_insecure, with SNI from the Host header (the origin's, else the monitor's), else
// the origin's host name. Default port 443.

import { httpMonitor } from "./http.js";

export const https = httpMonitor("https");
