pub(crate) const MAGIC: &[u8] = b"NAMBA\0\x01";
pub(crate) const PLAN_TAG: u8 = b'N';
pub(crate) const SHORT_PLAN_TAG: u8 = b'S';
