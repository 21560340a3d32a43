// SKELETON — replaced by the reporter issue.
console.log('Usage: dozhim-reporter [--port 8080] [--host 127.0.0.1] [--db ./data/dozhim.sqlite]');
