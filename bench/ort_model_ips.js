// ONNX Runtime (CPU) images/s for any ONNX model and input shape — the peer column of
// scripts/model_zoo.py. ../shared/bench/ort_bench.js times ResNet50-shaped inputs only (224x224).
// usage: NODE_PATH=<node_modules> node ort_model_ips.js MODEL.onnx N,C,H,W [--threads 2] [--min-seconds 3]
const ort = require('onnxruntime-node');

async function main() {
  const [model, shapeArg, ...rest] = process.argv.slice(2);
  if (!model || !shapeArg) throw new Error('usage: node ort_model_ips.js MODEL.onnx N,C,H,W [--threads T] [--min-seconds S]');
  const opt = { threads: 2, minSeconds: 3 };
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] === '--threads') opt.threads = +rest[i + 1];
    else if (rest[i] === '--min-seconds') opt.minSeconds = +rest[i + 1];
    else throw new Error('unknown option ' + rest[i]);
  }
  const shape = shapeArg.split(',').map(Number);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: opt.threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = (s / 4294967296) * 4 - 2; }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < 2; i++) await session.run(feeds);
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (runs < 3 || elapsed < opt.minSeconds) {
    await session.run(feeds);
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  console.log(JSON.stringify({ model, shape, threads: opt.threads, runs, seconds: +elapsed.toFixed(3), ips: +(shape[0] * runs / elapsed).toFixed(2) }));
}

main().catch((e) => { console.error(String(e.message || e)); process.exit(1); });
