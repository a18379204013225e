;; normalLineHash (src/builders/lines.ts) of every line of a run of bytes, in one call: the content
;; rule keys every line of every file version it reads (git's own history with its pull requests:
;; ~750k versions, 31 GB), and the same loop in JavaScript (normalLineHashesLent) took ~1.5x as long
;; (bench/README, session 75). The same two lanes, mixer and length as
;; hashLineOfBytes, byte for byte: keys from either are equal (test/line-keys.test.ts). A line
;; with a byte past ASCII is the caller's to key (it decodes it as UTF-8 first): its key here is
;; -(its first byte's offset + 1), a negative number no key is.
;;
;; Assembled by scripts/build-wasm.mjs into line-keys-wasm-bytes.ts (the bytes the build ships).
(module
  (memory (export "memory") 1)
  ;; Where the last call stopped: past the last line it keyed (its newline's next byte), or `end`.
  (global $stop (export "stop") (mut i32) (i32.const 0))
  ;; How many of the keys it wrote are negative: lines with a byte past ASCII, for the caller to key.
  (global $wide (export "wide") (mut i32) (i32.const 0))

  ;; murmur3's finalizer.
  (func $mix (param $h i32) (result i32)
    (local.set $h (i32.mul (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))) (i32.const 0x85ebca6b)))
    (local.set $h (i32.mul (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))) (i32.const 0xc2b2ae35)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))

  ;; Keys the lines of [p, end) as f64 at out, out + 8, …: each line up to its newline; with `last`
  ;; also the line that `end` ends (empty after a last newline), else that one is left for the next
  ;; call (stop: its first byte). With `signs` (not 0: where the signs go), each line's first byte is
  ;; its sign, not its text (a diff store record's lines: +, * or -): stored at signs + n, and the
  ;; key is of the rest. Returns how many keys it wrote.
  (func (export "keys") (param $p i32) (param $end i32) (param $out i32) (param $last i32) (param $signs i32) (result i32)
    (local $n i32) (local $line i32) (local $c i32) (local $a i32) (local $b i32) (local $length i32) (local $gap i32)
    (global.set $wide (i32.const 0))
    (block $done
      (loop $lines
        (local.set $line (local.get $p))
        (if (i32.and (i32.ne (local.get $signs) (i32.const 0)) (i32.lt_u (local.get $p) (local.get $end)))
          (then
            (i32.store8 (i32.add (local.get $signs) (local.get $n)) (i32.load8_u (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (local.set $a (i32.const 0x811c9dc5))
        (local.set $b (i32.const 0x2545f491))
        (local.set $length (i32.const 0))
        (local.set $gap (i32.const 0))
        (block $ended
          (block $wideline
            (loop $bytes
              (if (i32.eq (local.get $p) (local.get $end))
                (then
                  (br_if $ended (local.get $last))
                  (global.set $stop (local.get $line))
                  (br $done)))
              (local.set $c (i32.load8_u (local.get $p)))
              (br_if $ended (i32.eq (local.get $c) (i32.const 10)))
              (br_if $wideline (i32.ge_u (local.get $c) (i32.const 0x80)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              ;; Whitespace (space, \t \n \v \f \r): leading dropped, a run inside one space.
              (if (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.lt_u (i32.sub (local.get $c) (i32.const 9)) (i32.const 5)))
                (then
                  (local.set $gap (i32.ne (local.get $length) (i32.const 0)))
                  (br $bytes)))
              (if (local.get $gap)
                (then
                  (local.set $a (i32.mul (i32.xor (local.get $a) (i32.const 32)) (i32.const 0x01000193)))
                  (local.set $b (i32.mul (i32.xor (i32.rotl (local.get $b) (i32.const 5)) (i32.const 32)) (i32.const 0x9e3779b1)))
                  (local.set $length (i32.add (local.get $length) (i32.const 1)))
                  (local.set $gap (i32.const 0))))
              (local.set $a (i32.mul (i32.xor (local.get $a) (local.get $c)) (i32.const 0x01000193)))
              (local.set $b (i32.mul (i32.xor (i32.rotl (local.get $b) (i32.const 5)) (local.get $c)) (i32.const 0x9e3779b1)))
              (local.set $length (i32.add (local.get $length) (i32.const 1)))
              (br $bytes)))
          ;; A byte past ASCII: the line's key is the caller's (here -(line + 1), where it starts, its sign too); on to its newline.
          (loop $skip
            (if (i32.eq (local.get $p) (local.get $end))
              (then
                (if (i32.eqz (local.get $last))
                  (then
                    (global.set $stop (local.get $line))
                    (br $done)))
                (f64.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (f64.neg (f64.convert_i32_u (i32.add (local.get $line) (i32.const 1)))))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (global.set $wide (i32.add (global.get $wide) (i32.const 1)))
                (global.set $stop (local.get $p))
                (br $done)))
            (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 10))
              (then
                (f64.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (f64.neg (f64.convert_i32_u (i32.add (local.get $line) (i32.const 1)))))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (global.set $wide (i32.add (global.get $wide) (i32.const 1)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $lines)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $skip)))
        ;; The line ended (at its newline, or at `end` with `last`): its key.
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3)))
          (f64.add
            (f64.mul (f64.convert_i32_u (call $mix (i32.xor (local.get $a) (local.get $length)))) (f64.const 2097152))
            (f64.convert_i32_u (i32.shr_u (call $mix (i32.add (local.get $b) (local.get $length))) (i32.const 11)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (if (i32.eq (local.get $p) (local.get $end))
          (then
            (global.set $stop (local.get $p))
            (br $done)))
        ;; Past the newline: the next line (an empty one too, when the newline was the last byte).
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $lines)))
    (local.get $n))
)
