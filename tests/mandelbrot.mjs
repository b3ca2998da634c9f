// The tests' oracle of the mandelbrot workload: its image computed natively.

/** The Mandelbrot image as the workload renders it, computed here natively (same f64 steps). */
export function nativeMandelbrot(size, iterations) {
  const u8 = (v) => (Number.isNaN(v) ? 0 : Math.min(255, Math.max(0, Math.trunc(v))));
  const rgb = Buffer.alloc(size * size * 3);
  const scaleX = 3.5 / size;
  const scaleY = 2.5 / size;
  for (let row = 0; row < size; row += 1) {
    const ci = -1.25 + row * scaleY;
    for (let col = 0; col < size; col += 1) {
      const cr = -2.5 + col * scaleX;
      let zr = 0;
      let zi = 0;
      let n = 0;
      while (n < iterations && zr * zr + zi * zi <= 4.0) {
        const t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        n += 1;
      }
      let colour = [0, 0, 0];
      if (n < iterations) {
        const t = n / iterations;
        colour = [9.0 * (1.0 - t) * t * t * t * 255.0, 15.0 * (1.0 - t) * (1.0 - t) * t * t * 255.0, 8.5 * (1.0 - t) * (1.0 - t) * (1.0 - t) * t * 255.0].map(u8);
      }
      rgb.set(colour, (row * size + col) * 3);
    }
  }
  return rgb;
}
