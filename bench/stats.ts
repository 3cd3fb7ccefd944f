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
