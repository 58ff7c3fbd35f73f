//! Coarse trap controls: one variant per architectural control that can
//! trap an EL1/EL0 system-register access or system instruction to EL2.
//!
//! Each control knows when it is in effect ([`Ctl::active`]), the exception
//! class of the trap it causes ([`Ctl::ec`]), and how to switch it on in a
//! configuration ([`Ctl::enable`], used by the tests and the QEMU
//! differential test so that "set the control" has one definition).

use crate::config::{cnthctl, cptr, hcr, hcrx, ich_hcr, mdcr, TrapConfig};
use crate::esr::ec;

macro_rules! ctls {
    ($( $(#[$m:meta])* $v:ident = $name:literal ),* $(,)?) => {
        /// A coarse trap control (see the module docs).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Ctl { $( $(#[$m])* $v, )* }
        impl Ctl {
            /// Every control.
            pub const ALL: &'static [Ctl] = &[ $( Ctl::$v, )* ];
            /// The control's name as the Arm ARM writes it.
            pub const fn name(self) -> &'static str {
                match self { $( Ctl::$v => $name, )* }
            }
        }
    };
}

ctls! {
    /// HCR_EL2.TVM (writes) / TRVM (reads) are separate controls.
    Tvm = "HCR_EL2.TVM",
    /// HCR_EL2.TRVM.
    Trvm = "HCR_EL2.TRVM",
    /// HCR_EL2.TSW.
    Tsw = "HCR_EL2.TSW",
    /// HCR_EL2.TPCP.
    Tpcp = "HCR_EL2.TPCP",
    /// HCR_EL2.TPU.
    Tpu = "HCR_EL2.TPU",
    /// HCR_EL2.TOCU.
    Tocu = "HCR_EL2.TOCU",
    /// HCR_EL2.TICAB.
    Ticab = "HCR_EL2.TICAB",
    /// HCR_EL2.TTLB.
    Ttlb = "HCR_EL2.TTLB",
    /// HCR_EL2.TTLBIS.
    Ttlbis = "HCR_EL2.TTLBIS",
    /// HCR_EL2.TTLBOS.
    Ttlbos = "HCR_EL2.TTLBOS",
    /// HCR_EL2.TACR.
    Tacr = "HCR_EL2.TACR",
    /// HCR_EL2.TID1.
    Tid1 = "HCR_EL2.TID1",
    /// HCR_EL2.TID2.
    Tid2 = "HCR_EL2.TID2",
    /// HCR_EL2.TID3.
    Tid3 = "HCR_EL2.TID3",
    /// HCR_EL2.TID4.
    Tid4 = "HCR_EL2.TID4",
    /// HCR_EL2.TID5.
    Tid5 = "HCR_EL2.TID5",
    /// HCR_EL2.TDZ.
    Tdz = "HCR_EL2.TDZ",
    /// HCR_EL2.TERR.
    Terr = "HCR_EL2.TERR",
    /// HCR_EL2.TLOR.
    Tlor = "HCR_EL2.TLOR",
    /// HCR_EL2.APK == 0.
    Apk = "HCR_EL2.APK=0",
    /// HCR_EL2.FIEN == 0.
    Fien = "HCR_EL2.FIEN=0",
    /// HCR_EL2.EnSCXT == 0.
    EnScxt = "HCR_EL2.EnSCXT=0",
    /// HCR_EL2.ATA == 0.
    Ata = "HCR_EL2.ATA=0",
    /// HCR_EL2.AT.
    At = "HCR_EL2.AT",
    /// HCR_EL2.NV: EL2 and EL12/EL02 registers and EL2 instructions.
    Nv = "HCR_EL2.NV",
    /// HCR_EL2.{NV,NV1,NV2} == {1,1,0}: ELR_EL1, SPSR_EL1, VBAR_EL1.
    Nv1 = "HCR_EL2.NV1",
    /// HCR_EL2.IMO or FMO: the SGI generation registers.
    ImoFmo = "HCR_EL2.IMO|FMO",
    /// HCRX_EL2.TCR2En == 0.
    Tcr2En = "HCRX_EL2.TCR2En=0",
    /// HCRX_EL2.SCTLR2En == 0.
    Sctlr2En = "HCRX_EL2.SCTLR2En=0",
    /// HCRX_EL2.GCSEn == 0.
    GcsEn = "HCRX_EL2.GCSEn=0",
    /// HCRX_EL2.EnFPM == 0.
    EnFpm = "HCRX_EL2.EnFPM=0",
    /// HCRX_EL2.TALLINT.
    TallInt = "HCRX_EL2.TALLINT",
    /// MDCR_EL2.TDA (or TDE).
    Tda = "MDCR_EL2.TDA",
    /// MDCR_EL2.TDOSA (or TDE).
    Tdosa = "MDCR_EL2.TDOSA",
    /// MDCR_EL2.TDRA (or TDE).
    Tdra = "MDCR_EL2.TDRA",
    /// MDCR_EL2.TDCC.
    Tdcc = "MDCR_EL2.TDCC",
    /// MDCR_EL2.TPM.
    Tpm = "MDCR_EL2.TPM",
    /// MDCR_EL2.TPMCR.
    Tpmcr = "MDCR_EL2.TPMCR",
    /// MDCR_EL2.TPMS.
    Tpms = "MDCR_EL2.TPMS",
    /// MDCR_EL2.E2PB != 0b11.
    E2pb = "MDCR_EL2.E2PB",
    /// MDCR_EL2.TTRF.
    Ttrf = "MDCR_EL2.TTRF",
    /// MDCR_EL2.E2TB != 0b11.
    E2tb = "MDCR_EL2.E2TB",
    /// CPTR_EL2.TFP (E2H=0) / FPEN (E2H=1): EC 0x07.
    Tfp = "CPTR_EL2.TFP/FPEN",
    /// CPTR_EL2.TZ (E2H=0) / ZEN (E2H=1): EC 0x19.
    Tz = "CPTR_EL2.TZ/ZEN",
    /// CPTR_EL2.TSM (E2H=0) / SMEN (E2H=1): EC 0x1d.
    Tsm = "CPTR_EL2.TSM/SMEN",
    /// CPTR_EL2.TTA (bit 20 or 28 by E2H).
    Tta = "CPTR_EL2.TTA",
    /// CPTR_EL2.TAM.
    Tam = "CPTR_EL2.TAM",
    /// CPTR_EL2.TCPAC.
    Tcpac = "CPTR_EL2.TCPAC",
    /// CNTHCTL_EL2.EL1PCTEN == 0 (bit 0 or 10 by E2H).
    El1Pcten = "CNTHCTL_EL2.EL1PCTEN=0",
    /// CNTHCTL_EL2.EL1PCEN/EL1PTEN == 0 (bit 1 or 11 by E2H).
    El1Pten = "CNTHCTL_EL2.EL1PTEN=0",
    /// CNTHCTL_EL2.EL1TVT.
    El1Tvt = "CNTHCTL_EL2.EL1TVT",
    /// CNTHCTL_EL2.EL1TVCT.
    El1Tvct = "CNTHCTL_EL2.EL1TVCT",
    /// CNTHCTL_EL2.EL1NVPCT (with {NV,NV1} = {1,0}: the EL02 physical timer).
    El1Nvpct = "CNTHCTL_EL2.EL1NVPCT",
    /// CNTHCTL_EL2.EL1NVVCT (with {NV,NV1} = {1,0}: the EL02 virtual timer).
    El1Nvvct = "CNTHCTL_EL2.EL1NVVCT",
    /// ICH_HCR_EL2.TC: EL1 accesses to the registers common to both
    /// interrupt groups, ICC_* and ICV_* alike (GICv3 spec, ICH_HCR_EL2;
    /// not conditional on HCR_EL2.IMO/FMO, as QEMU and fgt-matrix show).
    IchTc = "ICH_HCR_EL2.TC",
    /// ICH_HCR_EL2.TALL0: the Group 0 registers (ICC_* and ICV_*).
    IchTall0 = "ICH_HCR_EL2.TALL0",
    /// ICH_HCR_EL2.TALL1: the Group 1 registers (ICC_* and ICV_*).
    IchTall1 = "ICH_HCR_EL2.TALL1",
    /// ICH_HCR_EL2.TDIR: writes of ICC_DIR_EL1/ICV_DIR_EL1.
    IchTdir = "ICH_HCR_EL2.TDIR",
}

/// Whether the E2H=1 CPTR_EL2 enable field `f` (2 bits at `mask`) traps
/// EL1/EL0 with HCR_EL2.TGE == 0: values 0b00 and 0b10 trap (Arm ARM
/// D24.2.33: 0b01 traps EL0 only when TGE is 1).
const fn en_field_traps(v: u64, mask: u64) -> bool {
    let f = (v & mask) >> mask.trailing_zeros();
    f & 1 == 0
}

impl Ctl {
    /// Whether the control is in effect in `c` (for an access from EL1 or
    /// EL0 with HCR_EL2.TGE == 0).
    pub const fn active(self, c: &TrapConfig) -> bool {
        let h = c.hcr;
        let x = c.hcrx_eff();
        let m = c.mdcr;
        let e2h = c.e2h();
        let nv = h & hcr::NV != 0;
        match self {
            Ctl::Tvm => h & hcr::TVM != 0,
            Ctl::Trvm => h & hcr::TRVM != 0,
            Ctl::Tsw => h & hcr::TSW != 0,
            Ctl::Tpcp => h & hcr::TPCP != 0,
            Ctl::Tpu => h & hcr::TPU != 0,
            Ctl::Tocu => h & hcr::TOCU != 0,
            Ctl::Ticab => h & hcr::TICAB != 0,
            Ctl::Ttlb => h & hcr::TTLB != 0,
            Ctl::Ttlbis => h & hcr::TTLBIS != 0,
            Ctl::Ttlbos => h & hcr::TTLBOS != 0,
            Ctl::Tacr => h & hcr::TACR != 0,
            Ctl::Tid1 => h & hcr::TID1 != 0,
            Ctl::Tid2 => h & hcr::TID2 != 0,
            Ctl::Tid3 => h & hcr::TID3 != 0,
            Ctl::Tid4 => h & hcr::TID4 != 0,
            Ctl::Tid5 => h & hcr::TID5 != 0,
            Ctl::Tdz => h & hcr::TDZ != 0,
            Ctl::Terr => h & hcr::TERR != 0,
            Ctl::Tlor => h & hcr::TLOR != 0,
            Ctl::Apk => h & hcr::APK == 0,
            Ctl::Fien => h & hcr::FIEN == 0,
            Ctl::EnScxt => h & hcr::ENSCXT == 0,
            Ctl::Ata => h & hcr::ATA == 0,
            Ctl::At => h & hcr::AT != 0,
            Ctl::Nv => nv,
            Ctl::Nv1 => h & (hcr::NV | hcr::NV1 | hcr::NV2) == (hcr::NV | hcr::NV1),
            Ctl::ImoFmo => h & (hcr::IMO | hcr::FMO) != 0,
            Ctl::Tcr2En => x & hcrx::TCR2EN == 0,
            Ctl::Sctlr2En => x & hcrx::SCTLR2EN == 0,
            Ctl::GcsEn => x & hcrx::GCSEN == 0,
            Ctl::EnFpm => x & hcrx::ENFPM == 0,
            Ctl::TallInt => x & hcrx::TALLINT != 0,
            Ctl::Tda => m & (mdcr::TDA | mdcr::TDE) != 0,
            Ctl::Tdosa => m & (mdcr::TDOSA | mdcr::TDE) != 0,
            Ctl::Tdra => m & (mdcr::TDRA | mdcr::TDE) != 0,
            Ctl::Tdcc => m & mdcr::TDCC != 0,
            Ctl::Tpm => m & mdcr::TPM != 0,
            Ctl::Tpmcr => m & mdcr::TPMCR != 0,
            Ctl::Tpms => m & mdcr::TPMS != 0,
            Ctl::E2pb => m & mdcr::E2PB != mdcr::E2PB,
            Ctl::Ttrf => m & mdcr::TTRF != 0,
            Ctl::E2tb => m & mdcr::E2TB != mdcr::E2TB,
            Ctl::Tfp => {
                if e2h {
                    en_field_traps(c.cptr, cptr::FPEN)
                } else {
                    c.cptr & cptr::TFP != 0
                }
            }
            Ctl::Tz => {
                if e2h {
                    en_field_traps(c.cptr, cptr::ZEN)
                } else {
                    c.cptr & cptr::TZ != 0
                }
            }
            Ctl::Tsm => {
                if e2h {
                    en_field_traps(c.cptr, cptr::SMEN)
                } else {
                    c.cptr & cptr::TSM != 0
                }
            }
            Ctl::Tta => c.cptr & if e2h { cptr::TTA_E2H } else { cptr::TTA } != 0,
            Ctl::Tam => c.cptr & cptr::TAM != 0,
            Ctl::Tcpac => c.cptr & cptr::TCPAC != 0,
            Ctl::El1Pcten => {
                c.cnthctl
                    & if e2h {
                        cnthctl::EL1PCTEN_E2H
                    } else {
                        cnthctl::EL1PCTEN
                    }
                    == 0
            }
            Ctl::El1Pten => {
                c.cnthctl
                    & if e2h {
                        cnthctl::EL1PTEN_E2H
                    } else {
                        cnthctl::EL1PCEN
                    }
                    == 0
            }
            Ctl::El1Tvt => c.cnthctl & cnthctl::EL1TVT != 0,
            Ctl::El1Tvct => c.cnthctl & cnthctl::EL1TVCT != 0,
            Ctl::El1Nvpct => {
                c.cnthctl & cnthctl::EL1NVPCT != 0 && h & (hcr::NV | hcr::NV1) == hcr::NV
            }
            Ctl::El1Nvvct => {
                c.cnthctl & cnthctl::EL1NVVCT != 0 && h & (hcr::NV | hcr::NV1) == hcr::NV
            }
            Ctl::IchTc => c.ich_hcr & ich_hcr::TC != 0,
            Ctl::IchTall0 => c.ich_hcr & ich_hcr::TALL0 != 0,
            Ctl::IchTall1 => c.ich_hcr & ich_hcr::TALL1 != 0,
            Ctl::IchTdir => c.ich_hcr & ich_hcr::TDIR != 0,
        }
    }

    /// The exception class of the trap to EL2 this control causes.
    pub const fn ec(self) -> u8 {
        match self {
            Ctl::Tfp => ec::FP,
            Ctl::Tz => ec::SVE,
            Ctl::Tsm => ec::SME,
            _ => ec::SYSREG,
        }
    }

    /// Switches the control on in `c` (in the layout `c.hcr.E2H` selects),
    /// with whatever companion bits it needs (NV for NV1 and the ECV EL02
    /// timer traps).
    pub fn enable(self, c: &mut TrapConfig) {
        let e2h = c.e2h();
        match self {
            Ctl::Tvm => c.hcr |= hcr::TVM,
            Ctl::Trvm => c.hcr |= hcr::TRVM,
            Ctl::Tsw => c.hcr |= hcr::TSW,
            Ctl::Tpcp => c.hcr |= hcr::TPCP,
            Ctl::Tpu => c.hcr |= hcr::TPU,
            Ctl::Tocu => c.hcr |= hcr::TOCU,
            Ctl::Ticab => c.hcr |= hcr::TICAB,
            Ctl::Ttlb => c.hcr |= hcr::TTLB,
            Ctl::Ttlbis => c.hcr |= hcr::TTLBIS,
            Ctl::Ttlbos => c.hcr |= hcr::TTLBOS,
            Ctl::Tacr => c.hcr |= hcr::TACR,
            Ctl::Tid1 => c.hcr |= hcr::TID1,
            Ctl::Tid2 => c.hcr |= hcr::TID2,
            Ctl::Tid3 => c.hcr |= hcr::TID3,
            Ctl::Tid4 => c.hcr |= hcr::TID4,
            Ctl::Tid5 => c.hcr |= hcr::TID5,
            Ctl::Tdz => c.hcr |= hcr::TDZ,
            Ctl::Terr => c.hcr |= hcr::TERR,
            Ctl::Tlor => c.hcr |= hcr::TLOR,
            Ctl::Apk => c.hcr &= !hcr::APK,
            Ctl::Fien => c.hcr &= !hcr::FIEN,
            Ctl::EnScxt => c.hcr &= !hcr::ENSCXT,
            Ctl::Ata => c.hcr &= !hcr::ATA,
            Ctl::At => c.hcr |= hcr::AT,
            Ctl::Nv => c.hcr |= hcr::NV,
            Ctl::Nv1 => c.hcr = (c.hcr | hcr::NV | hcr::NV1) & !hcr::NV2,
            Ctl::ImoFmo => c.hcr |= hcr::IMO | hcr::FMO,
            Ctl::Tcr2En => c.hcrx &= !hcrx::TCR2EN,
            Ctl::Sctlr2En => c.hcrx &= !hcrx::SCTLR2EN,
            Ctl::GcsEn => c.hcrx &= !hcrx::GCSEN,
            Ctl::EnFpm => c.hcrx &= !hcrx::ENFPM,
            Ctl::TallInt => c.hcrx |= hcrx::TALLINT,
            Ctl::Tda => c.mdcr |= mdcr::TDA,
            Ctl::Tdosa => c.mdcr |= mdcr::TDOSA,
            Ctl::Tdra => c.mdcr |= mdcr::TDRA,
            Ctl::Tdcc => c.mdcr |= mdcr::TDCC,
            Ctl::Tpm => c.mdcr |= mdcr::TPM,
            Ctl::Tpmcr => c.mdcr |= mdcr::TPMCR,
            Ctl::Tpms => c.mdcr |= mdcr::TPMS,
            Ctl::E2pb => c.mdcr &= !mdcr::E2PB,
            Ctl::Ttrf => c.mdcr |= mdcr::TTRF,
            Ctl::E2tb => c.mdcr &= !mdcr::E2TB,
            Ctl::Tfp => {
                if e2h {
                    c.cptr &= !cptr::FPEN
                } else {
                    c.cptr |= cptr::TFP
                }
            }
            Ctl::Tz => {
                if e2h {
                    c.cptr &= !cptr::ZEN
                } else {
                    c.cptr |= cptr::TZ
                }
            }
            Ctl::Tsm => {
                if e2h {
                    c.cptr &= !cptr::SMEN
                } else {
                    c.cptr |= cptr::TSM
                }
            }
            Ctl::Tta => c.cptr |= if e2h { cptr::TTA_E2H } else { cptr::TTA },
            Ctl::Tam => c.cptr |= cptr::TAM,
            Ctl::Tcpac => c.cptr |= cptr::TCPAC,
            Ctl::El1Pcten => {
                c.cnthctl &= !if e2h {
                    cnthctl::EL1PCTEN_E2H
                } else {
                    cnthctl::EL1PCTEN
                }
            }
            Ctl::El1Pten => {
                c.cnthctl &= !if e2h {
                    cnthctl::EL1PTEN_E2H
                } else {
                    cnthctl::EL1PCEN
                }
            }
            Ctl::El1Tvt => c.cnthctl |= cnthctl::EL1TVT,
            Ctl::El1Tvct => c.cnthctl |= cnthctl::EL1TVCT,
            Ctl::El1Nvpct => {
                c.cnthctl |= cnthctl::EL1NVPCT;
                c.hcr = (c.hcr | hcr::NV) & !hcr::NV1;
            }
            Ctl::El1Nvvct => {
                c.cnthctl |= cnthctl::EL1NVVCT;
                c.hcr = (c.hcr | hcr::NV) & !hcr::NV1;
            }
            Ctl::IchTc => c.ich_hcr |= ich_hcr::TC,
            Ctl::IchTall0 => c.ich_hcr |= ich_hcr::TALL0,
            Ctl::IchTall1 => c.ich_hcr |= ich_hcr::TALL1,
            Ctl::IchTdir => c.ich_hcr |= ich_hcr::TDIR,
        }
    }

    /// Whether the control traps only accesses from EL1 (HCR_EL2.NV and NV1
    /// make EL1 a guest hypervisor; the ECV EL02 timer traps need NV): an
    /// EL0 access is never trapped by them.
    pub const fn el1_only(self) -> bool {
        matches!(self, Ctl::Nv | Ctl::Nv1 | Ctl::El1Nvpct | Ctl::El1Nvvct)
    }

    /// Whether the trap is layout-dependent (CPTR_EL2/CNTHCTL_EL2 differ
    /// with E2H), so that tests should try both layouts.
    pub const fn e2h_layout(self) -> bool {
        matches!(
            self,
            Ctl::Tfp | Ctl::Tz | Ctl::Tsm | Ctl::Tta | Ctl::El1Pcten | Ctl::El1Pten
        )
    }
}

/// The direction(s) a rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acc {
    /// Reads (MRS, SYSL).
    R,
    /// Writes (MSR, SYS).
    W,
    /// Both.
    RW,
}

impl Acc {
    /// Whether the rule applies to an access in direction `read`.
    pub const fn covers(self, read: bool) -> bool {
        match self {
            Acc::R => read,
            Acc::W => !read,
            Acc::RW => true,
        }
    }
}
