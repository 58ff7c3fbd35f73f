//! Fields of the EL2 control registers, PSTATE/SPSR and the GICv3 virtual
//! interface: one definition each (Arm ARM D24.2 register descriptions;
//! GICv3 IHI 0069 chapter 12). Plain `u64` masks in a module per register,
//! the form the trap table and the walkers compute with.

/// HCR_EL2 fields (Arm ARM D24.2.48).
pub mod hcr {
    /// Stage 2 enable.
    pub const VM: u64 = 1 << 0;
    /// Set/way invalidation override.
    pub const SWIO: u64 = 1 << 1;
    /// Protected table walk: stage-1 walks to stage-2 Device memory fault.
    pub const PTW: u64 = 1 << 2;
    /// SError routing / virtualisation.
    pub const AMO: u64 = 1 << 5;
    /// Virtual FIQ pending.
    pub const VF: u64 = 1 << 6;
    /// Virtual IRQ pending.
    pub const VI: u64 = 1 << 7;
    /// Virtual SError pending.
    pub const VSE: u64 = 1 << 8;
    /// Force broadcast of TLB and cache maintenance.
    pub const FB: u64 = 1 << 9;
    /// Barrier shareability upgrade, Inner Shareable (BSU = 0b01).
    pub const BSU_IS: u64 = 1 << 10;
    /// Barrier shareability upgrade field `[11:10]`.
    pub const BSU: u64 = 3 << 10;
    /// Default cacheability: stage 1 off, stage 2 on, Normal WB.
    pub const DC: u64 = 1 << 12;
    /// Virtual IRQ routing / IRQ virtualisation.
    pub const IMO: u64 = 1 << 4;
    /// FIQ virtualisation.
    pub const FMO: u64 = 1 << 3;
    /// Trap WFI.
    pub const TWI: u64 = 1 << 13;
    /// Trap WFE.
    pub const TWE: u64 = 1 << 14;
    /// Trap ID group 0 (AArch32 only).
    pub const TID0: u64 = 1 << 15;
    /// Trap ID group 1.
    pub const TID1: u64 = 1 << 16;
    /// Trap ID group 2 (cache identification).
    pub const TID2: u64 = 1 << 17;
    /// Trap ID group 3 (feature ID registers).
    pub const TID3: u64 = 1 << 18;
    /// Trap SMC.
    pub const TSC: u64 = 1 << 19;
    /// Trap implementation-defined registers (CRn 11/15).
    pub const TIDCP: u64 = 1 << 20;
    /// Trap ACTLR_EL1.
    pub const TACR: u64 = 1 << 21;
    /// Trap data/unified cache maintenance by set/way.
    pub const TSW: u64 = 1 << 22;
    /// Trap cache maintenance to the Point of Coherency/Persistence.
    pub const TPCP: u64 = 1 << 23;
    /// Trap cache maintenance to the Point of Unification.
    pub const TPU: u64 = 1 << 24;
    /// Trap TLB maintenance.
    pub const TTLB: u64 = 1 << 25;
    /// Trap virtual-memory control writes.
    pub const TVM: u64 = 1 << 26;
    /// Trap general exceptions to EL2.
    pub const TGE: u64 = 1 << 27;
    /// Trap DC ZVA / GVA / GZVA.
    pub const TDZ: u64 = 1 << 28;
    /// HVC disable.
    pub const HCD: u64 = 1 << 29;
    /// Trap virtual-memory control reads.
    pub const TRVM: u64 = 1 << 30;
    /// EL1 is AArch64.
    pub const RW: u64 = 1 << 31;
    /// Stage-2 cacheability disable (data).
    pub const CD: u64 = 1 << 32;
    /// Stage-2 cacheability disable (instructions).
    pub const ID: u64 = 1 << 33;
    /// EL2 host (VHE).
    pub const E2H: u64 = 1 << 34;
    /// Trap LORegion registers.
    pub const TLOR: u64 = 1 << 35;
    /// Trap error-record registers.
    pub const TERR: u64 = 1 << 36;
    /// Pointer-authentication key registers enabled (0 traps).
    pub const APK: u64 = 1 << 40;
    /// Pointer-authentication instructions enabled (0 traps).
    pub const API: u64 = 1 << 41;
    /// Nested virtualisation.
    pub const NV: u64 = 1 << 42;
    /// Nested virtualisation, EL1 register traps.
    pub const NV1: u64 = 1 << 43;
    /// Trap AT S1E0*, S1E1*.
    pub const AT: u64 = 1 << 44;
    /// Enhanced nested virtualisation (VNCR).
    pub const NV2: u64 = 1 << 45;
    /// Forced write-back (stage 2 attribute format).
    pub const FWB: u64 = 1 << 46;
    /// Fault-injection registers enabled (0 traps).
    pub const FIEN: u64 = 1 << 47;
    /// Trap ID group 4 (cache identification, not CTR_EL0).
    pub const TID4: u64 = 1 << 49;
    /// Trap IC IALLUIS.
    pub const TICAB: u64 = 1 << 50;
    /// Trap cache maintenance to the Point of Unification (FEAT_EVT).
    pub const TOCU: u64 = 1 << 52;
    /// SCXTNUM_ELx enabled (0 traps).
    pub const ENSCXT: u64 = 1 << 53;
    /// Trap TLB maintenance, Inner Shareable.
    pub const TTLBIS: u64 = 1 << 54;
    /// Trap TLB maintenance, Outer Shareable.
    pub const TTLBOS: u64 = 1 << 55;
    /// Allocation-tag access (0 traps the MTE registers).
    pub const ATA: u64 = 1 << 56;
    /// Default cacheability tagging.
    pub const DCT: u64 = 1 << 57;
    /// Trap ID group 5 (GMID_EL1).
    pub const TID5: u64 = 1 << 58;
    /// Positive-polarity trap bits (trap when 1), merged by OR.
    pub const TRAPS: u64 = TWI
        | TWE
        | TID0
        | TID1
        | TID2
        | TID3
        | TSC
        | TIDCP
        | TACR
        | TSW
        | TPCP
        | TPU
        | TTLB
        | TVM
        | TDZ
        | TRVM
        | TLOR
        | TERR
        | NV
        | NV1
        | AT
        | TID4
        | TICAB
        | TOCU
        | TTLBIS
        | TTLBOS
        | TID5;
    /// Negative-polarity enables (trap when 0), merged by AND.
    pub const ENABLES: u64 = APK | API | FIEN | ENSCXT | ATA;
}

/// HCRX_EL2 fields (Arm ARM D24.2.49).
pub mod hcrx {
    /// ST64BV0 enabled (0 traps).
    pub const ENAS0: u64 = 1 << 0;
    /// LD64B/ST64B enabled (0 traps).
    pub const ENALS: u64 = 1 << 1;
    /// ST64BV enabled (0 traps).
    pub const ENASR: u64 = 1 << 2;
    /// nXS TLBIs behave as XS.
    pub const FNXS: u64 = 1 << 3;
    /// Fine-grained traps do not apply to the nXS TLBI forms.
    pub const FGTNXS: u64 = 1 << 4;
    /// Trap MSR writes of ALLINT.
    pub const TALLINT: u64 = 1 << 6;
    /// TCR2_EL1 enabled (0 traps).
    pub const TCR2EN: u64 = 1 << 14;
    /// SCTLR2_EL1 enabled (0 traps).
    pub const SCTLR2EN: u64 = 1 << 15;
    /// GCS registers enabled (0 traps).
    pub const GCSEN: u64 = 1 << 22;
    /// FPMR enabled (0 traps).
    pub const ENFPM: u64 = 1 << 23;
    /// Positive trap bits.
    pub const TRAPS: u64 = TALLINT;
    /// Negative-polarity enables (including FGTnXS, whose 1 removes traps).
    pub const ENABLES: u64 = ENAS0 | ENALS | ENASR | FGTNXS | TCR2EN | SCTLR2EN | GCSEN | ENFPM;
}

/// MDCR_EL2 fields (Arm ARM D24.2.77).
pub mod mdcr {
    /// HPMN, the counters reserved for EL1/EL0.
    pub const HPMN: u64 = 0x1f;
    /// Trap PMCR_EL0.
    pub const TPMCR: u64 = 1 << 5;
    /// Trap all PMU registers.
    pub const TPM: u64 = 1 << 6;
    /// Route debug exceptions to EL2 (and imply TDA, TDOSA, TDRA).
    pub const TDE: u64 = 1 << 8;
    /// Trap debug registers.
    pub const TDA: u64 = 1 << 9;
    /// Trap OS-related debug registers.
    pub const TDOSA: u64 = 1 << 10;
    /// Trap debug ROM address registers.
    pub const TDRA: u64 = 1 << 11;
    /// E2PB, profiling-buffer owner (0b11: EL1 owns, no trap).
    pub const E2PB: u64 = 3 << 12;
    /// Trap SPE sampling controls.
    pub const TPMS: u64 = 1 << 14;
    /// Trap TRFCR_EL1.
    pub const TTRF: u64 = 1 << 19;
    /// E2TB, trace-buffer owner (0b11: EL1 owns, no trap).
    pub const E2TB: u64 = 3 << 24;
    /// Trap the debug communications channel.
    pub const TDCC: u64 = 1 << 27;
    /// Positive trap bits.
    pub const TRAPS: u64 = TPMCR | TPM | TDE | TDA | TDOSA | TDRA | TPMS | TTRF | TDCC;
}

/// CPTR_EL2 fields in both layouts (Arm ARM D24.2.33).
pub mod cptr {
    /// E2H=0: trap SVE.
    pub const TZ: u64 = 1 << 8;
    /// E2H=0: trap FP/SIMD.
    pub const TFP: u64 = 1 << 10;
    /// E2H=0: trap SME.
    pub const TSM: u64 = 1 << 12;
    /// E2H=0: trap trace registers.
    pub const TTA: u64 = 1 << 20;
    /// E2H=1: SVE enable field `[17:16]`.
    pub const ZEN: u64 = 3 << 16;
    /// E2H=1: FP enable field `[21:20]`.
    pub const FPEN: u64 = 3 << 20;
    /// E2H=1: SME enable field `[25:24]`.
    pub const SMEN: u64 = 3 << 24;
    /// E2H=1: trap trace registers.
    pub const TTA_E2H: u64 = 1 << 28;
    /// Trap activity-monitor registers (both layouts).
    pub const TAM: u64 = 1 << 30;
    /// Trap CPACR_EL1 (both layouts).
    pub const TCPAC: u64 = 1 << 31;
}

/// CNTHCTL_EL2 fields in both layouts (Arm ARM D24.8.x).
pub mod cnthctl {
    /// E2H=0: EL1/EL0 physical counter access enabled (0 traps).
    pub const EL1PCTEN: u64 = 1 << 0;
    /// E2H=0: EL1/EL0 physical timer access enabled (0 traps).
    pub const EL1PCEN: u64 = 1 << 1;
    /// E2H=1: EL1/EL0 physical counter access enabled (0 traps).
    pub const EL1PCTEN_E2H: u64 = 1 << 10;
    /// E2H=1: EL1/EL0 physical timer access enabled (0 traps).
    pub const EL1PTEN_E2H: u64 = 1 << 11;
    /// FEAT_ECV: trap EL1/EL0 virtual timer registers.
    pub const EL1TVT: u64 = 1 << 13;
    /// FEAT_ECV: trap EL1/EL0 virtual counter reads.
    pub const EL1TVCT: u64 = 1 << 14;
    /// FEAT_ECV: trap the EL02 physical timer when NV/NV1 are set.
    pub const EL1NVPCT: u64 = 1 << 15;
    /// FEAT_ECV: trap the EL02 virtual timer when NV/NV1 are set.
    pub const EL1NVVCT: u64 = 1 << 16;
}

/// ICH_HCR_EL2 fields (GICv3 spec 12.5.x).
pub mod ich_hcr {
    /// En, bit 0: the virtual CPU interface is enabled.
    pub const EN: u64 = 1 << 0;
    /// UIE, bit 1: maintenance interrupt when at most one LR is valid.
    pub const UIE: u64 = 1 << 1;
    /// LRENPIE, bit 2: maintenance interrupt while EOIcount is non-zero.
    pub const LRENPIE: u64 = 1 << 2;
    /// NPIE, bit 3: maintenance interrupt when no LR is pending.
    pub const NPIE: u64 = 1 << 3;
    /// Trap common (group 0 and 1) registers.
    pub const TC: u64 = 1 << 10;
    /// Trap group 0 registers.
    pub const TALL0: u64 = 1 << 11;
    /// Trap group 1 registers.
    pub const TALL1: u64 = 1 << 12;
    /// Trap ICC_DIR_EL1.
    pub const TDIR: u64 = 1 << 14;
    /// Trap bits.
    pub const TRAPS: u64 = TC | TALL0 | TALL1 | TDIR;
}

/// VTCR_EL2 fields (Arm ARM D24.2, VTCR_EL2).
pub mod vtcr {
    /// T0SZ, bits `[5:0]`.
    pub const T0SZ_SHIFT: u32 = 0;
    /// SL0, bits `[7:6]`.
    pub const SL0_SHIFT: u32 = 6;
    /// IRGN0, bits `[9:8]` (0b01: write-back read/write-allocate).
    pub const IRGN0_WBWA: u64 = 1 << 8;
    /// ORGN0, bits `[11:10]` (0b01: write-back read/write-allocate).
    pub const ORGN0_WBWA: u64 = 1 << 10;
    /// SH0, bits `[13:12]`.
    pub const SH0_SHIFT: u32 = 12;
    /// SH0 = 0b11, Inner Shareable.
    pub const SH0_INNER: u64 = 3 << 12;
    /// TG0, bits `[15:14]`.
    pub const TG0_SHIFT: u32 = 14;
    /// PS, bits `[18:16]`.
    pub const PS_SHIFT: u32 = 16;
    /// VS, bit 19: 16-bit VMIDs.
    pub const VS: u64 = 1 << 19;
    /// HA, bit 21.
    pub const HA: u64 = 1 << 21;
    /// HD, bit 22.
    pub const HD: u64 = 1 << 22;
    /// RES1, bit 31.
    pub const RES1: u64 = 1 << 31;
    /// DS, bit 32.
    pub const DS: u64 = 1 << 32;
    /// SL2, bit 33.
    pub const SL2: u64 = 1 << 33;
}

/// VTTBR_EL2 fields (Arm ARM D24.2, VTTBR_EL2).
pub mod vttbr {
    /// CnP, bit 0.
    pub const CNP: u64 = 1;
    /// BADDR, bits `[47:1]` (table base; low bits RES0 by alignment).
    pub const BADDR: u64 = 0x0000_ffff_ffff_fffe;
    /// VMID, bits `[63:48]` (`[55:48]` with 8-bit VMIDs).
    pub const VMID_SHIFT: u32 = 48;
    /// The VMID of a VTTBR value (16 bits).
    pub const fn vmid(v: u64) -> u16 {
        (v >> VMID_SHIFT) as u16
    }
}

/// HPFAR_EL2 (Arm ARM D24.2, HPFAR_EL2): FIPA `[47:4]` holds IPA`[55:12]`.
pub mod hpfar {
    /// FIPA field mask.
    pub const FIPA: u64 = 0x0000_ffff_ffff_fff0;
    /// The faulting IPA from HPFAR_EL2 and the page offset from FAR_EL2.
    pub const fn ipa(hpfar: u64, far: u64) -> u64 {
        ((hpfar & FIPA) << 8) | (far & 0xfff)
    }
    /// The HPFAR_EL2 value for a faulting IPA.
    pub const fn from_ipa(ipa: u64) -> u64 {
        (ipa >> 8) & FIPA
    }
}

/// PSTATE as saved in SPSR_ELx for AArch64 (Arm ARM C5.2.18, SPSR_EL2).
pub mod spsr {
    /// M`[3:0]`: the exception level and stack pointer.
    pub const M: u64 = 0xf;
    /// M`[4]`: AArch32 state.
    pub const M_AARCH32: u64 = 1 << 4;
    /// EL0t.
    pub const EL0T: u64 = 0b0000;
    /// EL1t.
    pub const EL1T: u64 = 0b0100;
    /// EL1h.
    pub const EL1H: u64 = 0b0101;
    /// EL2t.
    pub const EL2T: u64 = 0b1000;
    /// EL2h.
    pub const EL2H: u64 = 0b1001;
    /// F, I, A, D: the interrupt masks `[9:6]`.
    pub const DAIF: u64 = 0xf << 6;
    /// IL, bit 20: illegal execution state.
    pub const IL: u64 = 1 << 20;
    /// SS, bit 21: software step.
    pub const SS: u64 = 1 << 21;
    /// PAN, bit 22.
    pub const PAN: u64 = 1 << 22;
    /// The exception level M`[3:2]` names.
    pub const fn el(v: u64) -> u8 {
        ((v >> 2) & 3) as u8
    }
}

/// SCTLR_EL1 bits L0 uses (Arm ARM D24.2, SCTLR_EL1).
pub mod sctlr_el1 {
    /// SPAN, bit 23: 0 sets PSTATE.PAN on exception entry to EL1.
    pub const SPAN: u64 = 1 << 23;
    /// The value at reset: RES1 bits (29, 28, 23, 22, 20, 11), MMU and caches off.
    pub const RESET: u64 = 0x30D0_0800;
}

/// ICH_LR<n>_EL2 fields (IHI 0069, 12.5.9).
pub mod ich_lr {
    /// State `[63:62]`.
    pub const STATE: u64 = 3 << 62;
    /// State = pending.
    pub const PENDING: u64 = 1 << 62;
    /// State = active.
    pub const ACTIVE: u64 = 2 << 62;
    /// HW, bit 61: linked to a physical interrupt.
    pub const HW: u64 = 1 << 61;
    /// Group, bit 60: Group 1.
    pub const GROUP1: u64 = 1 << 60;
    /// Priority `[55:48]`.
    pub const PRIORITY_SHIFT: u32 = 48;
    /// EOI, bit 41 (HW = 0): maintenance interrupt on deactivation.
    pub const EOI: u64 = 1 << 41;
    /// pINTID `[44:32]` (HW = 1).
    pub const PINTID_SHIFT: u32 = 32;
    /// pINTID mask (after the shift).
    pub const PINTID: u64 = 0x1fff;
    /// vINTID `[31:0]`.
    pub const VINTID: u64 = 0xffff_ffff;
}

/// ICH_VTR_EL2 fields (IHI 0069, 12.5.10).
pub mod ich_vtr {
    /// ListRegs `[4:0]`: the number of list registers minus one.
    pub const LIST_REGS: u64 = 0x1f;
    /// PREbits `[28:26]`: preemption bits minus one.
    pub const PREBITS_SHIFT: u32 = 26;
}

/// ICH_VMCR_EL2 (IHI 0069, ICH_VMCR_EL2).
pub mod ich_vmcr {
    /// VENG0: virtual Group 0 interrupts enabled.
    pub const VENG0: u64 = 1 << 0;
    /// VENG1: virtual Group 1 interrupts enabled.
    pub const VENG1: u64 = 1 << 1;
    /// VPMR `[31:24]`: the virtual priority mask.
    pub const VPMR_SHIFT: u32 = 24;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpfar_round_trip() {
        // IPA 0x0000_1234_5678_9abc: FIPA holds bits [55:12], FAR the offset.
        let ipa = 0x0000_1234_5678_9abc;
        let h = hpfar::from_ipa(ipa);
        assert_eq!(h, 0x0012_3456_7890);
        assert_eq!(hpfar::ipa(h, 0xffff_0000_0000_0abc), ipa);
        assert_eq!(hpfar::from_ipa(0xfff), 0);
    }

    #[test]
    fn spsr_modes() {
        assert_eq!(spsr::el(spsr::EL2H), 2);
        assert_eq!(spsr::el(spsr::EL1T), 1);
        assert_eq!(vttbr::vmid(0xabcd_0000_4000_0000), 0xabcd);
    }
}
