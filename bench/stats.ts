/** `mean` beside the median: an RSA key's time is heavy-tailed luck, and a fixed cost added to it shows in the mean. */
export interface Summary { n: number; median: number; mean: number; min: number; max: number }

export function summarize(values: number[]): Summary {
  if (values.length === 0) return { n: 0, median: 0, mean: 0, min: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { n: sorted.length, median, mean, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/**
 * A 90 % bootstrap interval of mean(a) / mean(b), the two samples resampled independently; a seeded
 * generator, so the same samples print the same interval.
 */
export function ratioOfMeansInterval(a: number[], b: number[], resamples = 4000): [number, number] {
  let seed = 0x9e3779b9;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const resampledMean = (values: number[]): number => {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)]!;
    return sum / values.length;
  };
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) ratios.push(resampledMean(a) / resampledMean(b));
  ratios.sort((x, y) => x - y);
  return [ratios[Math.floor(resamples * 0.05)]!, ratios[Math.floor(resamples * 0.95)]!];
}
