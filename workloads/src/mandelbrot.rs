//! Renders one tile of a Mandelbrot image: the building block of the distributed render demo.

/// A tile of an image: its size and position (pixels) and the whole image's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
	/// Tile width in pixels.
	pub width: u32,
	/// Tile height in pixels.
	pub height: u32,
	/// Left edge of the tile in the image.
	pub x: u32,
	/// Top edge of the tile in the image.
	pub y: u32,
	/// Image width.
	pub image_width: u32,
	/// Image height.
	pub image_height: u32,
	/// Iterations before a point counts as inside the set.
	pub max_iterations: u32,
}

/// Largest tile accepted, in pixels.
pub const MAX_TILE_PIXELS: u64 = 512 * 512;

/// Colour of a point that escaped after `n` of `max` iterations (black inside the set).
fn colour(n: u32, max: u32) -> [u8; 3] {
	if n >= max {
		return [0, 0, 0];
	}
	let t = n as f64 / max as f64;
	let r = 9.0 * (1.0 - t) * t * t * t * 255.0;
	let g = 15.0 * (1.0 - t) * (1.0 - t) * t * t * 255.0;
	let b = 8.5 * (1.0 - t) * (1.0 - t) * (1.0 - t) * t * 255.0;
	[r as u8, g as u8, b as u8]
}

/// RGB bytes of `tile`, row by row. The image spans [-2.5, 1.0] × [-1.25, 1.25].
pub fn render(tile: Tile) -> Vec<u8> {
	let mut out = Vec::with_capacity((tile.width * tile.height * 3) as usize);
	let scale_x = 3.5 / tile.image_width.max(1) as f64;
	let scale_y = 2.5 / tile.image_height.max(1) as f64;
	for row in 0..tile.height {
		let ci = -1.25 + (tile.y + row) as f64 * scale_y;
		for col in 0..tile.width {
			let cr = -2.5 + (tile.x + col) as f64 * scale_x;
			let (mut zr, mut zi, mut n) = (0.0f64, 0.0f64, 0u32);
			while n < tile.max_iterations && zr * zr + zi * zi <= 4.0 {
				let t = zr * zr - zi * zi + cr;
				zi = 2.0 * zr * zi + ci;
				zr = t;
				n += 1;
			}
			out.extend_from_slice(&colour(n, tile.max_iterations));
		}
	}
	out
}

/// Entry point: `TILE_W TILE_H TILE_X TILE_Y IMAGE_W IMAGE_H MAX_ITER` → RGB bytes.
pub fn run(input: &[u8]) -> Result<Vec<u8>, String> {
	let [width, height, x, y, image_width, image_height, max_iterations] =
		crate::parse_numbers::<7>(input)?;
	let pixels = width.checked_mul(height).filter(|p| *p <= MAX_TILE_PIXELS);
	if pixels.is_none() {
		return Err(format!("a tile of {width} × {height} pixels is more than {MAX_TILE_PIXELS}"));
	}
	if x.saturating_add(width) > image_width || y.saturating_add(height) > image_height {
		return Err("the tile does not fit in the image".into());
	}
	let fits = |v: u64| u32::try_from(v).map_err(|_| format!("{v} is too large"));
	Ok(render(Tile {
		width: fits(width)?,
		height: fits(height)?,
		x: fits(x)?,
		y: fits(y)?,
		image_width: fits(image_width)?,
		image_height: fits(image_height)?,
		max_iterations: fits(max_iterations)?,
	}))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tiles_compose_the_image() {
		let whole = run(b"8 4 0 0 8 4 50").unwrap();
		let left = run(b"4 4 0 0 8 4 50").unwrap();
		let right = run(b"4 4 4 0 8 4 50").unwrap();
		assert_eq!(whole.len(), 8 * 4 * 3);
		for row in 0..4 {
			assert_eq!(&whole[row * 24..row * 24 + 12], &left[row * 12..row * 12 + 12]);
			assert_eq!(&whole[row * 24 + 12..row * 24 + 24], &right[row * 12..row * 12 + 12]);
		}
		// The centre of the main cardioid is inside the set: black.
		let inside = render(Tile {
			width: 1,
			height: 1,
			x: 5,
			y: 2,
			image_width: 7,
			image_height: 4,
			max_iterations: 100,
		});
		assert_eq!(inside, vec![0, 0, 0]);
	}
}
