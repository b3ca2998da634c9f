//! Counts primes with the sieve of Eratosthenes (odd numbers only, one bit each).

/// Largest `n` accepted (the sieve takes n/16 bytes).
pub const MAX_N: u64 = 1 << 31;

/// Number of primes ≤ `n`.
pub fn count(n: u64) -> u64 {
	if n < 2 {
		return 0;
	}
	// Bit i stands for the odd number 2i + 1; 1 is not prime.
	let bits = n.div_ceil(2) as usize;
	let mut composite = vec![0u64; bits.div_ceil(64)];
	composite[0] |= 1;
	let mut i = 1usize;
	while ((2 * i + 1) as u64).pow(2) <= n {
		if composite[i / 64] & (1 << (i % 64)) == 0 {
			let p = 2 * i + 1;
			let mut j = (p * p) / 2;
			while j < bits {
				composite[j / 64] |= 1 << (j % 64);
				j += p;
			}
		}
		i += 1;
	}
	let mut primes = 1; // 2
	for (w, word) in composite.iter().enumerate() {
		let valid = (bits - w * 64).min(64);
		let mask = if valid == 64 { u64::MAX } else { (1u64 << valid) - 1 };
		primes += u64::from((!word & mask).count_ones());
	}
	primes
}

/// Entry point: `N` → number of primes ≤ N and a newline.
pub fn run(input: &[u8]) -> Result<Vec<u8>, String> {
	let [n] = crate::parse_numbers::<1>(input)?;
	if n > MAX_N {
		return Err(format!("N = {n} is more than {MAX_N}"));
	}
	Ok(format!("{}\n", count(n)).into_bytes())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn known_counts() {
		for (n, c) in
			[(0, 0), (1, 0), (2, 1), (3, 2), (10, 4), (100, 25), (1000, 168), (1_000_000, 78_498)]
		{
			assert_eq!(count(n), c, "pi({n})");
		}
		assert_eq!(run(b"100\n").unwrap(), b"25\n");
	}
}
