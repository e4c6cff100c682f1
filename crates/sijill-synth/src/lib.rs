//! sijill-synth
