//! `nested`: test-l1 as a bare-metal test hypervisor with its own L2
//! guests. The same binary runs at real EL2 on bare QEMU (the oracle) and
//! at virtual EL2 under L0, and must print the same `nested-case` lines
//! both ways.
//!
//! Args: `nested [e2h=0|e2h=1] [cases=A,B*,...]` (default e2h=1; a name
//! ending in `*` matches a prefix; `+` separates names too, for QEMU
//! command lines where a comma needs doubling), and `nested hostile [e2h=...]` for the
//! cases only meaningful under L0 ([`hostile`]).
//!
//! Output, one line per case: `nested-case NAME: PASS|FAIL|SKIP detail`,
//! where `detail` only holds facts that are the same on bare QEMU and under
//! a correct L0 (no address that differs between the two, no timing); then
//! `nested-suite: N cases, N pass, N fail, N skip`. The cost loops also
//! print `nested-cost NAME: ops=N l0-exits=M per-op=X.XX ...` (not
//! compared). Design: docs/nested-suite.md.

mod cases;
mod gic;
mod hostile;
mod hw;
mod irq;
mod l2;
mod mem;
mod regs;
mod smp;
mod world;

use core::fmt::Write;

/// A case's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

/// A short line of text without allocation.
pub struct Line {
    buf: [u8; 240],
    len: usize,
}

impl Line {
    /// An empty line.
    pub const fn new() -> Line {
        Line {
            buf: [0; 240],
            len: 0,
        }
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Status and detail of one case.
pub struct Verdict {
    pub status: Status,
    pub detail: Line,
    /// The case does not exist in this mode (not printed, not counted).
    pub absent: bool,
}

impl Verdict {
    /// A verdict from a condition and a detail.
    pub fn new(ok: bool, args: core::fmt::Arguments) -> Verdict {
        let mut detail = Line::new();
        let _ = detail.write_fmt(args);
        Verdict {
            status: if ok { Status::Pass } else { Status::Fail },
            detail,
            absent: false,
        }
    }
    /// A case that does not exist in this mode.
    pub fn absent() -> Verdict {
        let mut v = Verdict::new(true, format_args!(""));
        v.absent = true;
        v
    }
    /// SKIP with a reason.
    pub fn skip(args: core::fmt::Arguments) -> Verdict {
        let mut v = Verdict::new(true, args);
        v.status = Status::Skip;
        v
    }
}

/// `verdict!(cond, "fmt", args...)`.
macro_rules! verdict {
    ($ok:expr, $($a:tt)*) => { $crate::nested::Verdict::new($ok, format_args!($($a)*)) };
}
/// `skip!("fmt", args...)`.
macro_rules! skip {
    ($($a:tt)*) => { $crate::nested::Verdict::skip(format_args!($($a)*)) };
}
pub(crate) use {skip, verdict};

/// What the cases share: features, machine facts, memory pools.
pub struct Suite {
    pub feat: hw::Feat,
    /// PSCI conduit from the DTB's /psci `method`.
    pub conduit: rt::psci::Conduit,
    /// MPIDR of the second CPU, if the DTB has one.
    pub cpu1: Option<u64>,
    /// Stage-2 table pool (reset before each case).
    pub s2pool: mem::Pool,
    /// L2 memory pool (reset before each case).
    pub mempool: mem::Pool,
    /// Next VMID to hand out (never 0).
    pub next_vmid: u16,
}

impl Suite {
    /// A fresh VM with the next VMID.
    pub fn vm(&mut self) -> l2::Vm {
        let vmid = self.next_vmid;
        self.next_vmid = if self.next_vmid == 255 {
            1
        } else {
            self.next_vmid + 1
        };
        l2::Vm::new(vmid, &mut self.s2pool, &mut self.mempool, self.feat.vmid16)
    }
}

/// A case: name and body.
pub type Case = (&'static str, fn(&mut Suite) -> Verdict);

/// Machine facts from the DTB.
struct Dtb {
    conduit: rt::psci::Conduit,
    cpu1: Option<u64>,
    gicd: usize,
    gicr: usize,
}

fn read_dtb(dtb: u64) -> Dtb {
    let mut d = Dtb {
        conduit: rt::psci::Conduit::Smc,
        cpu1: None,
        gicd: 0x0800_0000,
        gicr: 0x080a_0000,
    };
    if dtb == 0 {
        return d;
    }
    // SAFETY: the loader passed a DTB address in x0; `from_ptr` validates it.
    let Ok(f) = (unsafe { fdt::Fdt::from_ptr(dtb as *const u8) }) else {
        return d;
    };
    if let Some(m) = f
        .find_node("/psci")
        .and_then(|n| n.property("method"))
        .and_then(|p| p.as_str())
    {
        if m == "hvc" {
            d.conduit = rt::psci::Conduit::Hvc;
        }
    }
    let me = rt::sysreg::read!("S3_0_C0_C0_5") & 0xff_00ff_ffff;
    for c in f.cpus() {
        let id = c.ids().first() as u64;
        if id != me && d.cpu1.is_none() {
            d.cpu1 = Some(id);
        }
    }
    if let Some(g) = f.find_compatible(&["arm,gic-v3"]) {
        let mut regs = g.reg().into_iter().flatten();
        if let Some(r) = regs.next() {
            d.gicd = r.starting_address as usize;
        }
        if let Some(r) = regs.next() {
            d.gicr = r.starting_address as usize;
        }
    }
    d
}

fn wanted(filter: Option<&str>, name: &str) -> bool {
    let Some(f) = filter else { return true };
    f.split([',', '+']).any(|p| match p.strip_suffix('*') {
        Some(pre) => name.starts_with(pre),
        None => p == name,
    })
}

/// Prints one case line and counts it.
fn report(counts: &mut [u32; 3], name: &str, v: &Verdict) {
    if v.absent {
        return;
    }
    let s = match v.status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    };
    counts[v.status as usize] += 1;
    rt::println!("nested-case {name}: {s} {}", v.detail.as_str());
}

/// Runs the suite; returns the exit code (0 when nothing failed).
pub fn run(args: &str, dtb: u64) -> u32 {
    let mut e2h = true;
    let mut filter = None;
    let mut hostile_mode = false;
    for w in args.split_whitespace().skip(1) {
        match w {
            "e2h=0" => e2h = false,
            "e2h=1" => e2h = true,
            "hostile" => hostile_mode = true,
            _ => {
                if let Some(c) = w.strip_prefix("cases=") {
                    filter = Some(c);
                } else {
                    rt::println!("nested-suite: unknown argument '{w}'");
                    return 2;
                }
            }
        }
    }
    let list: &[Case] = if hostile_mode { hostile::CASES } else { &ALL };
    let mut counts = [0u32; 3];
    let el = rt::current_el();
    let feat = hw::Feat::read();
    let why_not: Option<&str> = if el != 2 {
        Some("not at EL2")
    } else if e2h && !feat.vhe {
        Some("E2H=1 mode unavailable (ID_AA64MMFR1_EL1.VH = 0)")
    } else if !e2h && !feat.e2h0 {
        Some("E2H=0 mode unavailable (ID_AA64MMFR4_EL1.E2H0 != 0)")
    } else {
        None
    };
    rt::println!(
        "nested-suite: mode e2h={} ({})",
        u8::from(e2h),
        if hostile_mode { "hostile" } else { "cases" }
    );
    if let Some(why) = why_not {
        let fail = el != 2;
        let mut last = "";
        for (name, _) in list.iter().filter(|(n, _)| wanted(filter, n)) {
            if *name == last {
                continue;
            }
            last = name;
            let v = if fail {
                verdict!(false, "{why} (CurrentEL={el})")
            } else {
                skip!("{why}")
            };
            report(&mut counts, name, &v);
        }
        return summary(&counts);
    }
    let d = read_dtb(dtb);
    hw::set_vhe(e2h);
    setup_el2(0);
    gic::set_bases(d.gicd, d.gicr);
    gic::init_dist();
    gic::init_cpu();
    let mut feat = feat;
    let vtr = hw::el2::ich_vtr();
    feat.lrs = (vtr & 0x1f) as u32 + 1;
    feat.vpri_bits = ((vtr >> 29) & 7) as u32 + 1;
    let mut s = Suite {
        feat,
        conduit: d.conduit,
        cpu1: d.cpu1,
        s2pool: mem::Pool::new(mem::S2_POOL),
        mempool: mem::Pool::new(mem::L2_POOL),
        next_vmid: 1,
    };
    // The register round trips run with test-l1's EL2 MMU off, before
    // anything depends on the registers they write.
    let mut mmu_on = false;
    for (name, f) in list.iter() {
        if !wanted(filter, name) {
            continue;
        }
        if !mmu_on && !name.starts_with("reg-") {
            mem::build_el2_map();
            mem::el2_mmu_on();
            mmu_on = true;
        }
        s.s2pool = mem::Pool::new(mem::S2_POOL);
        s.mempool = mem::Pool::new(mem::L2_POOL);
        gic::clear_log();
        let v = f(&mut s);
        world::cpu().loaded = 0;
        gic::vgic_reset();
        hw::el2::set_hcr(l2::base_hcr());
        report(&mut counts, name, &v);
    }
    summary(&counts)
}

fn summary(c: &[u32; 3]) -> u32 {
    let n = c[0] + c[1] + c[2];
    rt::println!(
        "nested-suite: {n} cases, {} pass, {} fail, {} skip",
        c[0],
        c[1],
        c[2]
    );
    u32::from(c[1] != 0)
}

/// Puts this CPU's EL2 in the run's mode: HCR_EL2 (E2H as chosen, no
/// guest yet), vectors and per-CPU state, CPTR/CNTHCTL/MDCR giving the
/// guest its FP/SVE, counters and timers, no FGT trap (Arm ARM D24.2).
pub fn setup_el2(index: usize) {
    hw::el2::set_hcr(l2::base_hcr());
    rt::sysreg::isb();
    world::init_cpu(index);
    if hw::vhe() {
        // CPACR layout: FPEN, ZEN, SMEN = 0b11 (no trap).
        hw::el2::set_cptr((3 << 20) | (3 << 16) | (3 << 24));
        // EL1PCTEN, EL1PTEN (E2H layout), through the CNTHCTL_EL2
        // encoding: at virtual EL2 (FEAT_NV2, NV1 = 0) the CNTKCTL_EL1
        // alias reaches the hardware CNTKCTL_EL1, which has no such bits,
        // so no L0 can keep them (docs/nested.md, "NV2 limits").
        rt::sysreg::write!("S3_4_C14_C1_0", (1u64 << 10) | (1 << 11));
    } else {
        // RES1 bits [13:12] and [9:0] minus TZ (bit 8); TSM (bit 12) is 0
        // with SME.
        let feat = hw::Feat::read();
        let tsm = if feat.sme { 0 } else { 1 << 12 };
        hw::el2::set_cptr((1 << 13) | tsm | (1 << 9) | 0xff);
        hw::el2::set_cnthctl(3);
    }
    // MDCR_EL2: keep HPMN, trap nothing.
    hw::el2::set_mdcr(hw::el2::mdcr() & 0x1f);
    let feat = hw::Feat::read();
    if feat.fgt {
        hw::el2::set_hfgrtr(0);
        hw::el2::set_hfgwtr(0);
        hw::el2::set_hfgitr(0);
        hw::el2::set_hdfgrtr(0);
        hw::el2::set_hdfgwtr(0);
    }
    if feat.hcx {
        hw::el2::set_hcrx(hcrx_base(&feat));
    }
    hw::el2::set_cntvoff(0);
    hw::el2::set_cnthp_ctl(0);
    hw::el2::set_cnthv_ctl(0);
    rt::sysreg::isb();
}

/// HCRX_EL2 the suite's guests run with: TCR2En and SCTLR2En where the
/// features exist (so those registers do not trap), nothing else.
pub fn hcrx_base(feat: &hw::Feat) -> u64 {
    let mut v = 0;
    if feat.tcr2 {
        v |= 1 << 14;
    }
    let mmfr3 = rt::sysreg::read!("S3_0_C0_C7_3");
    if (mmfr3 >> 4) & 0xf != 0 {
        v |= 1 << 15; // SCTLR2En
    }
    v
}

static ALL: [Case; cases::N + regs::N + irq::N + smp::N] = {
    let mut all: [Case; cases::N + regs::N + irq::N + smp::N] =
        [("", cases::nothing); cases::N + regs::N + irq::N + smp::N];
    let mut i = 0;
    while i < regs::N {
        all[i] = regs::CASES[i];
        i += 1;
    }
    let mut j = 0;
    while j < cases::N {
        all[i] = cases::CASES[j];
        i += 1;
        j += 1;
    }
    let mut j = 0;
    while j < irq::N {
        all[i] = irq::CASES[j];
        i += 1;
        j += 1;
    }
    let mut j = 0;
    while j < smp::N {
        all[i] = smp::CASES[j];
        i += 1;
        j += 1;
    }
    all
};
