//! Random container names (`adjective_scientist`), as Docker gives them; the lists are
//! berth's own.

const ADJECTIVES: &[&str] = &[
    "agile", "amber", "ardent", "bold", "brave", "bright", "brisk", "calm", "candid", "careful", "cheerful", "clever",
    "cosmic", "crisp", "curious", "daring", "deft", "eager", "earnest", "elated", "elegant", "epic", "fearless",
    "fervent", "festive", "fond", "frank", "gallant", "gentle", "gifted", "glad", "golden", "graceful", "happy",
    "hardy", "honest", "hopeful", "humble", "jolly", "jovial", "keen", "kind", "lively", "loyal", "lucid", "lucky",
    "merry", "mellow", "mighty", "modest", "nimble", "noble", "patient", "peaceful", "placid", "plucky", "polite",
    "proud", "quick", "quiet", "radiant", "rapid", "ready", "serene", "sharp", "shiny", "silent", "sincere", "smart",
    "snappy", "solid", "steady", "stoic", "sunny", "swift", "tender", "thirsty", "tidy", "trusty", "upbeat",
    "valiant", "vibrant", "vivid", "warm", "wise", "witty", "zealous", "zen",
];

const NAMES: &[&str] = &[
    "agnesi", "al_khwarizmi", "archimedes", "babbage", "bardeen", "bohr", "boole", "brahmagupta", "cannon", "cantor",
    "cauchy", "chandrasekhar", "cori", "curie", "darwin", "dijkstra", "dirac", "euclid", "euler", "faraday", "fermat",
    "fermi", "feynman", "fourier", "franklin", "galileo", "galois", "gauss", "germain", "goodall", "hamilton",
    "hawking", "heisenberg", "hertz", "hilbert", "hodgkin", "hopper", "huygens", "hypatia", "joliot", "kepler",
    "khayyam", "knuth", "kovalevskaya", "lamarr", "laplace", "leakey", "leibniz", "lovelace", "maxwell", "meitner",
    "mendel", "mirzakhani", "newton", "nobel", "noether", "pascal", "pasteur", "planck", "poincare", "ramanujan",
    "ritchie", "rubin", "sagan", "shannon", "somerville", "tesla", "thompson", "torvalds", "turing", "volta",
    "wiles", "wozniak", "wu", "yalow", "yonath",
];

/// A fresh random name.
pub fn random() -> String {
    let r = store::random_hex(4);
    let n = u32::from_str_radix(&r, 16).unwrap_or(0) as usize;
    format!("{}_{}", ADJECTIVES[n % ADJECTIVES.len()], NAMES[(n / ADJECTIVES.len()) % NAMES.len()])
}

/// Whether a user-given name is acceptable: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphanumeric() && b.iter().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}
