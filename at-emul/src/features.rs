//! The implemented translation features, decoded from the ID registers.

/// Translation features of the PE whose behaviour is modelled. Fields are
/// decoded from ID_AA64MMFR{0,1,2}_EL1 by [`Features::from_id_regs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Features {
    /// ID_AA64MMFR0_EL1.PARange (0..=6 meaning 32..52 bits; larger values
    /// are clamped to 6).
    pub pa_range: u8,
    /// FEAT_LPA2 for stage 1 with the 4KB granule (TGran4 == 0b0001).
    pub lpa2_s1_4k: bool,
    /// FEAT_LPA2 for stage 1 with the 16KB granule (TGran16 == 0b0010).
    pub lpa2_s1_16k: bool,
    /// FEAT_LPA2 for stage 2 with the 4KB granule (TGran4_2 == 0b0011, or
    /// 0b0000 and the stage-1 field says so).
    pub lpa2_s2_4k: bool,
    /// FEAT_LPA2 for stage 2 with the 16KB granule.
    pub lpa2_s2_16k: bool,
    /// FEAT_LVA: 52-bit VAs with the 64KB granule.
    pub lva: bool,
    /// FEAT_TTST: small translation tables (TxSZ up to 48, SL0 = 3 for 4KB).
    pub st: bool,
    /// FEAT_HAFDBS: 1 = hardware Access flag, 2 = and dirty state.
    pub hafdbs: u8,
    /// FEAT_PAN3 (SCTLR_ELx.EPAN).
    pub pan3: bool,
    /// FEAT_XNX (stage-2 `XN[1:0]`).
    pub xnx: bool,
    /// FEAT_E0PD (TCR_ELx.E0PDn).
    pub e0pd: bool,
}

const fn field(v: u64, lsb: u32) -> u8 {
    ((v >> lsb) & 0xf) as u8
}

impl Features {
    /// What QEMU 10.0's `-cpu max` reports (checked at run time by the
    /// at-diff test, which uses [`Features::from_id_regs`] on the target).
    pub const QEMU_MAX: Features = Features {
        pa_range: 6,
        lpa2_s1_4k: true,
        lpa2_s1_16k: true,
        lpa2_s2_4k: true,
        lpa2_s2_16k: true,
        lva: true,
        st: true,
        hafdbs: 2,
        pan3: true,
        xnx: true,
        e0pd: true,
    };

    /// Decodes ID_AA64MMFR0_EL1, ID_AA64MMFR1_EL1 and ID_AA64MMFR2_EL1
    /// (Arm ARM D24.2, field layouts).
    #[must_use]
    pub const fn from_id_regs(mmfr0: u64, mmfr1: u64, mmfr2: u64) -> Self {
        let pa = field(mmfr0, 0);
        let tgran16 = field(mmfr0, 20);
        let tgran4 = field(mmfr0, 28);
        let tgran16_2 = field(mmfr0, 32);
        let tgran4_2 = field(mmfr0, 40);
        let lpa2_s1_4k = tgran4 == 1;
        let lpa2_s1_16k = tgran16 == 2;
        Features {
            pa_range: if pa > 6 { 6 } else { pa },
            lpa2_s1_4k,
            lpa2_s1_16k,
            lpa2_s2_4k: tgran4_2 == 3 || (tgran4_2 == 0 && lpa2_s1_4k),
            lpa2_s2_16k: tgran16_2 == 3 || (tgran16_2 == 0 && lpa2_s1_16k),
            lva: field(mmfr2, 16) >= 1,
            st: field(mmfr2, 28) >= 1,
            hafdbs: field(mmfr1, 0),
            pan3: field(mmfr1, 20) >= 3,
            xnx: field(mmfr1, 28) >= 1,
            e0pd: field(mmfr2, 60) >= 1,
        }
    }

    /// The physical address size in bits (PAMax).
    #[must_use]
    pub const fn pamax(&self) -> u32 {
        pa_bits(self.pa_range)
    }
}

impl Default for Features {
    /// [`Features::QEMU_MAX`], the reference hardware of this project.
    fn default() -> Self {
        Features::QEMU_MAX
    }
}

/// Decodes a PARange / {I}PS encoding to a number of bits (Arm ARM D24.2,
/// ID_AA64MMFR0_EL1.PARange); 7 and above read as 52.
#[must_use]
pub const fn pa_bits(enc: u8) -> u32 {
    match enc {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        5 => 48,
        _ => 52,
    }
}
