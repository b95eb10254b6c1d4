pragma circom 2.1.0;

// Deterministic (fixed-point) inference in a circuit: the rules of deterministic-inference's
// fixed-point-format.ts, constraint by constraint. Every value is an integer at F_A fractional bits, saturated to
// ±(2^23 − 1); a dense output is acc = bias + Σ activation · weight, rescaled by ⌊(acc + 2^(F−1)) / 2^F⌋ (round half
// up), saturated, then ReLU if the layer has it. Negative integers are field elements p − |v|; every template below
// states the integer range it needs of its inputs and proves the range of its outputs, so no value ever wraps
// around the field (all magnitudes stay below 2^60, the field has 254 bits).
//
// Written for Tributary (no circomlib code): the range checks are plain bit decompositions.

// The bits of `in`, least significant first, proving 0 ≤ in < 2^n (n ≤ 252).
template RangeBits(n) {
    signal input in;
    signal output bits[n];
    var sum = 0;
    var weight = 1;
    for (var i = 0; i < n; i++) {
        bits[i] <-- (in >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * weight;
        weight += weight;
    }
    sum === in;
}

// 1 when a < b, else 0, for integers 0 ≤ a, b < 2^n: bit n of a + 2^n − b (which lies in [1, 2^(n+1))).
template Below(n) {
    signal input a;
    signal input b;
    signal output out;
    component bits = RangeBits(n + 1);
    bits.in <== a + (1 << n) - b;
    out <== 1 - bits.bits[n];
}

// One activation from its accumulator: out = clamp(⌊(acc + half) / 2^shift⌋) where half = 2^(shift−1) (0 when
// shift = 0), clamped to [−limit, limit], or to [0, limit] with relu = 1.
// Needs |acc + half| < 2^span and shift ≤ span ≤ 250; proves the output's range.
// The quotient is exact: t = acc + half + 2^span lies in [0, 2^(span+1)), its bits are unique, and since 2^shift
// divides 2^span, ⌊t / 2^shift⌋ − 2^(span−shift) is the floor of (acc + half) / 2^shift, for negative values too.
// The remainder (t's low `shift` bits) is in [0, 2^shift) by its decomposition.
template Requantise(shift, span, relu, limit) {
    signal input acc;
    signal output out;
    assert(shift <= span && span <= 250);
    var half = shift == 0 ? 0 : 1 << (shift - 1);
    var top = span - shift;
    component t = RangeBits(span + 1);
    t.in <== acc + half + (1 << span);
    // q' = ⌊t / 2^shift⌋ ∈ [0, 2^(top+1)), q = q' − 2^top; q ≥ 0 exactly when t's top bit is set.
    var shifted = 0;
    for (var i = shift; i <= span; i++) shifted += t.bits[i] * (1 << (i - shift));
    var q = shifted - (1 << top);
    signal nonNegative <== t.bits[span];
    if (top < 23) {
        // |q| ≤ 2^top ≤ 2^22 < limit: nothing to saturate.
        if (relu == 1) {
            out <== nonNegative * q;
        } else {
            out <== q;
        }
    } else {
        // Saturation: over when q > limit, under when q < −limit (compared on q' = q + 2^top, both sides ≥ 0).
        component above = Below(top + 1);
        above.a <== (1 << top) + limit;
        above.b <== shifted;
        signal over <== above.out;
        if (relu == 1) {
            // q < 0 → 0; q > limit → limit; else q. `over` implies nonNegative.
            signal kept <== (nonNegative - over) * q;
            out <== kept + over * limit;
        } else {
            component below = Below(top + 1);
            below.a <== shifted;
            below.b <== (1 << top) - limit;
            signal under <== below.out;
            signal kept <== (1 - over - under) * q;
            out <== kept + over * limit - under * limit;
        }
    }
}

// ReLU of a value in [−2^23, 2^23): its sign from the bits of value + 2^23.
template Relu() {
    signal input in;
    signal output out;
    component bits = RangeBits(24);
    bits.in <== in + (1 << 23);
    out <== bits.bits[23] * in;
}

// `count` signed values v ∈ [−2^23, 2^23) unpacked from public words, `perWord` to a word:
// word k = Σ_j (v[k·perWord + j] + 2^23) · 2^(24·j). Each value's offset form is range-checked to 24 bits, so the
// unpacking is unique (perWord · 24 ≤ 240 < 253: no word wraps around the field).
template UnpackValues(count, perWord) {
    var words = (count + perWord - 1) \ perWord;
    signal input packed[words];
    signal output values[count];
    assert(perWord * 24 <= 240);
    component bits[count];
    var word[words];
    for (var k = 0; k < words; k++) word[k] = 0;
    for (var i = 0; i < count; i++) {
        bits[i] = RangeBits(24);
        bits[i].in <-- (packed[i \ perWord] >> (24 * (i % perWord))) & 0xffffff;
        var offset = 0;
        for (var b = 0; b < 24; b++) offset += bits[i].bits[b] * (1 << b);
        values[i] <== offset - (1 << 23);
        word[i \ perWord] += offset * (1 << (24 * (i % perWord)));
    }
    for (var k = 0; k < words; k++) packed[k] === word[k];
}

// `count` values in [−2^23, 2^23) packed into words as UnpackValues reads them (the caller proves the range).
template PackValues(count, perWord) {
    var words = (count + perWord - 1) \ perWord;
    signal input values[count];
    signal output packed[words];
    assert(perWord * 24 <= 240);
    var word[words];
    for (var k = 0; k < words; k++) word[k] = 0;
    for (var i = 0; i < count; i++) {
        word[i \ perWord] += (values[i] + (1 << 23)) * (1 << (24 * (i % perWord)));
    }
    for (var k = 0; k < words; k++) packed[k] <== word[k];
}
