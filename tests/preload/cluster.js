// tests/preload/cluster.js - node `cluster` in its default (round-robin)
// mode: the primary accepts and passes each connection to a worker over
// its IPC channel (SCM_RIGHTS). Each worker answers with what its socket
// says: "REMOTE_ADDR REMOTE_PORT LOCAL_ADDR LOCAL_PORT worker=ID".
//
//   node cluster.js PORT [WORKERS]     listens on 127.0.0.1:PORT
//
// Knows nothing of PROXY: run it with the preload (tests/preload/handoff.sh).
'use strict';
const cluster = require('cluster');
const http = require('http');
const port = Number(process.argv[2]);
const workers = Number(process.argv[3] || 2);

if (cluster.isPrimary) {
    for (let i = 0; i < workers; i++) cluster.fork();
    const stop = () => {
        for (const id in cluster.workers) cluster.workers[id].kill();
        process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
} else {
    http.createServer((req, res) => {
        const s = req.socket;
        res.end(`${s.remoteAddress} ${s.remotePort} ${s.localAddress} ${s.localPort} ` +
                `worker=${cluster.worker.id}\n`);
    }).listen(port, '127.0.0.1');
}
