// Preloaded (`node -r`) by test/bundle-loader.test.ts: names, as the process exits, node's own
// modules it loaded ("loaded modules: fs path …", internal ones left out).
process.on('exit', () => {
  const names = process.moduleLoadList
    .filter((m) => m.startsWith('NativeModule ') && !m.includes('internal/'))
    .map((m) => m.slice('NativeModule '.length));
  process.stderr.write(`loaded modules: ${names.join(' ')}\n`);
});
