//! Host tests: QEMU's own DTBs (guests/testdata, see gen.sh) in, guest DTBs
//! out, read back with the `fdt` crate.

use super::*;
use fdt::node::FdtNode;
use fdt::Fdt;
use std::collections::BTreeMap;
use std::string::ToString;
use std::vec::Vec;
use std::{format, vec};

const VIRT: &[u8] = include_bytes!("../../testdata/virt-gicv3.dtb");
const VIRT_INITRD: &[u8] = include_bytes!("../../testdata/virt-gicv3-initrd.dtb");
const VIRT_SECURE: &[u8] = include_bytes!("../../testdata/virt-gicv3-secure.dtb");
const VIRT_GICV2: &[u8] = include_bytes!("../../testdata/virt-gicv2.dtb");
const VIRT_L0UART: &[u8] = include_bytes!("../../testdata/virt-gicv3-l0uart.dtb");
/// The second PL011 of VIRT_L0UART, which L0 keeps as its own console.
const L0_UART: u64 = 0x0904_0000;

/// L0 keeps the low 64 MiB of the 1 GiB at 0x40000000.
const GUEST_RAM: [MemRange; 1] = [MemRange::new(0x4400_0000, 0x3c00_0000)];

fn cfg(host: &[u8]) -> GuestDtbConfig<'_> {
    GuestDtbConfig {
        host_dtb: host,
        ram: &GUEST_RAM,
        vcpus: 2,
        bootargs: "console=ttyAMA0 rdinit=/init",
        initrd: None,
        allow: Allow::ALL,
        keep: &[],
        psci_method: "hvc",
    }
}

fn be32s(v: &[u8]) -> Vec<u32> {
    v.chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn prop<'a>(n: FdtNode<'_, 'a>, name: &str) -> Option<&'a [u8]> {
    n.property(name).map(|p| p.value)
}

/// Path -> node for every node, with `/`-joined names.
fn nodes<'b, 'a>(f: &'b Fdt<'a>) -> BTreeMap<String, FdtNode<'b, 'a>> {
    fn walk<'b, 'a>(n: FdtNode<'b, 'a>, path: String, out: &mut BTreeMap<String, FdtNode<'b, 'a>>) {
        for c in n.children() {
            let p = if path == "/" {
                format!("/{}", c.name)
            } else {
                format!("{path}/{}", c.name)
            };
            walk(c, p.clone(), out);
        }
        out.insert(path, n);
    }
    let mut m = BTreeMap::new();
    walk(f.find_node("/").unwrap(), "/".to_string(), &mut m);
    m
}

fn names_with(m: &BTreeMap<String, FdtNode>, prefix: &str) -> Vec<String> {
    m.keys()
        .filter(|k| k.starts_with(prefix))
        .cloned()
        .collect()
}

/// Every phandle a recognised reference property names exists in `f`.
fn assert_references_resolve(f: &Fdt) {
    let m = nodes(f);
    let phandles: BTreeMap<u32, String> = m
        .iter()
        .filter_map(|(p, n)| prop(*n, "phandle").map(|v| (be32s(v)[0], p.clone())))
        .collect();
    for (path, n) in &m {
        for p in n.properties() {
            if PHANDLE_PROPS.iter().any(|(k, _)| *k == p.name) {
                // The properties used here have phandle-first specifiers.
                let first = be32s(p.value)[0];
                assert!(
                    phandles.contains_key(&first),
                    "{path}:{} -> {first:#x} dangles",
                    p.name
                );
            }
        }
    }
}

#[test]
fn virt_gicv3_guest_dtb() {
    let out = build(&cfg(VIRT)).unwrap();
    let f = Fdt::new(&out).unwrap();
    let host = Fdt::new(VIRT).unwrap();
    let m = nodes(&f);
    let hm = nodes(&host);

    // Root properties.
    let root = m["/"];
    assert_eq!(be32s(prop(root, "#address-cells").unwrap()), [2]);
    assert_eq!(be32s(prop(root, "#size-cells").unwrap()), [2]);
    assert_eq!(f.root().compatible().first(), "linux,dummy-virt");
    assert_eq!(f.root().model(), "linux,dummy-virt");
    let gic_ph = be32s(prop(hm["/intc@8000000"], "phandle").unwrap())[0];
    assert_eq!(be32s(prop(root, "interrupt-parent").unwrap()), [gic_ph]);
    assert!(prop(root, "dma-coherent").is_none());

    // Memory: only the guest's range.
    assert_eq!(names_with(&m, "/memory"), ["/memory@44000000"]);
    let mem: Vec<_> = f.memory().regions().collect();
    assert_eq!(mem.len(), 1);
    assert_eq!(mem[0].starting_address as u64, 0x4400_0000);
    assert_eq!(mem[0].size, Some(0x3c00_0000));

    // CPUs: two, PSCI, no cpu-map.
    assert_eq!(names_with(&m, "/cpus/"), ["/cpus/cpu@0", "/cpus/cpu@1"]);
    for c in f.cpus() {
        assert_eq!(c.property("enable-method").unwrap().as_str(), Some("psci"));
        assert_eq!(c.property("device_type").unwrap().as_str(), Some("cpu"));
    }
    assert_eq!(
        f.cpus().map(|c| c.ids().first()).collect::<Vec<_>>(),
        [0, 1]
    );

    // PSCI over HVC.
    let psci = m["/psci"];
    assert_eq!(prop(psci, "method"), Some(&b"hvc\0"[..]));
    let compat: Vec<_> = psci.compatible().unwrap().all().collect();
    assert_eq!(compat, ["arm,psci-1.0", "arm,psci-0.2"]);
    assert!(prop(psci, "cpu_on").is_none());

    // Timer, GIC (no ITS), devices, clock: as in the host.
    for path in [
        "/timer",
        "/intc@8000000",
        "/pl011@9000000",
        "/pl031@9010000",
        "/apb-pclk",
    ] {
        let (g, h) = (m[path], hm[path]);
        let gp: Vec<_> = g.properties().map(|p| (p.name, p.value)).collect();
        let hp: Vec<_> = h.properties().map(|p| (p.name, p.value)).collect();
        assert_eq!(gp, hp, "{path} differs");
    }
    assert_eq!(m["/intc@8000000"].children().count(), 0);
    assert!(!m.keys().any(|k| k.contains("its@")));
    let virtio = names_with(&m, "/virtio_mmio@");
    assert_eq!(virtio.len(), 32);
    assert_eq!(virtio, names_with(&hm, "/virtio_mmio@"));

    // Dropped.
    for gone in [
        "/flash",
        "/pcie",
        "/fw-cfg",
        "/pl061",
        "/gpio-keys",
        "/platform-bus",
        "/pmu",
    ] {
        assert!(names_with(&m, gone).is_empty(), "{gone} passed");
    }
    assert!(names_with(&m, "/cpus/cpu-map").is_empty());

    // /chosen.
    let chosen = f.chosen();
    assert_eq!(chosen.bootargs(), Some("console=ttyAMA0 rdinit=/init"));
    assert_eq!(chosen.stdout().unwrap().name, "pl011@9000000");
    assert_eq!(m["/chosen"].children().count(), 0);
    for p in ["rng-seed", "kaslr-seed", "linux,initrd-start"] {
        assert!(prop(m["/chosen"], p).is_none(), "{p}");
    }
    assert_eq!(
        f.aliases().unwrap().resolve("serial0"),
        Some("/pl011@9000000")
    );

    assert_references_resolve(&f);
    // Nothing outside the expected set.
    let expected_top = 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 32; // chosen aliases memory cpus psci timer intc pl011 pl031 apb-pclk virtio
    assert_eq!(m["/"].children().count(), expected_top);
}

#[test]
fn vcpu_count() {
    let out = build(&GuestDtbConfig {
        vcpus: 1,
        ..cfg(VIRT)
    })
    .unwrap();
    let f = Fdt::new(&out).unwrap();
    assert_eq!(f.cpus().count(), 1);
    assert_eq!(f.cpus().next().unwrap().ids().first(), 0);
    assert_eq!(
        build(&GuestDtbConfig {
            vcpus: 3,
            ..cfg(VIRT)
        }),
        Err(DtbError::NotEnoughCpus {
            requested: 3,
            available: 2
        })
    );
    assert_eq!(
        build(&GuestDtbConfig {
            vcpus: 0,
            ..cfg(VIRT)
        }),
        Err(DtbError::NoVcpus)
    );
}

#[test]
fn initrd_and_no_modules() {
    let initrd = Initrd {
        start: 0x4900_0000,
        end: 0x4900_2000,
    };
    let out = build(&GuestDtbConfig {
        initrd: Some(initrd),
        ..cfg(VIRT_INITRD)
    })
    .unwrap();
    let f = Fdt::new(&out).unwrap();
    let m = nodes(&f);
    let ch = m["/chosen"];
    assert_eq!(
        prop(ch, "linux,initrd-start"),
        Some(&0x4900_0000u64.to_be_bytes()[..])
    );
    assert_eq!(
        prop(ch, "linux,initrd-end"),
        Some(&0x4900_2000u64.to_be_bytes()[..])
    );
    assert!(!m.keys().any(|k| k.contains("module")));
    assert!(f.all_nodes().all(|n| n
        .compatible()
        .is_none_or(|c| !c.all().any(|s| s.starts_with("multiboot")))));

    for bad in [
        Initrd {
            start: 0x4900_2000,
            end: 0x4900_0000,
        },
        Initrd {
            start: 0x4900_0000,
            end: 0x4900_0000,
        },
        Initrd {
            start: 0x4000_0000,
            end: 0x4000_1000,
        }, // L0's memory
    ] {
        let e = build(&GuestDtbConfig {
            initrd: Some(bad),
            ..cfg(VIRT_INITRD)
        })
        .unwrap_err();
        assert_eq!(e, DtbError::BadInitrd(bad));
    }
}

#[test]
fn allow_none_drops_devices_and_their_clock() {
    let out = build(&GuestDtbConfig {
        allow: Allow::NONE,
        ..cfg(VIRT)
    })
    .unwrap();
    let f = Fdt::new(&out).unwrap();
    let m = nodes(&f);
    for gone in ["/pl011", "/pl031", "/virtio_mmio", "/apb-pclk", "/aliases"] {
        assert!(names_with(&m, gone).is_empty(), "{gone} passed");
    }
    assert!(prop(m["/chosen"], "stdout-path").is_none());
    assert!(m.contains_key("/intc@8000000") && m.contains_key("/timer"));

    // Only the UART: the clock it references comes along.
    let out = build(&GuestDtbConfig {
        allow: Allow {
            uart: true,
            ..Allow::NONE
        },
        ..cfg(VIRT)
    })
    .unwrap();
    let f = Fdt::new(&out).unwrap();
    let m = nodes(&f);
    assert!(m.contains_key("/apb-pclk") && m.contains_key("/pl011@9000000"));
    assert!(names_with(&m, "/pl031").is_empty());
    assert_references_resolve(&f);
}

#[test]
fn secure_devices_are_dropped() {
    let out = build(&cfg(VIRT_SECURE)).unwrap();
    let f = Fdt::new(&out).unwrap();
    let m = nodes(&f);
    assert!(m.contains_key("/pl011@9000000"));
    for gone in [
        "/pl011@9040000",
        "/secram",
        "/secflash",
        "/gpio-restart",
        "/gpio-poweroff",
        "/secure-chosen",
    ] {
        assert!(names_with(&m, gone).is_empty(), "{gone} passed");
    }
    assert_eq!(f.chosen().stdout().unwrap().name, "pl011@9000000");
    // Secure RAM is not host RAM the guest may get.
    let secram = [MemRange::new(0x0e00_0000, 0x10_0000)];
    let e = build(&GuestDtbConfig {
        ram: &secram,
        ..cfg(VIRT_SECURE)
    })
    .unwrap_err();
    assert!(
        matches!(
            e,
            DtbError::BadRam {
                why: "is not inside the host's RAM",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn gicv2_host_is_refused() {
    let e = build(&cfg(VIRT_GICV2)).unwrap_err();
    assert!(
        matches!(e, DtbError::Missing(m) if m.contains("GICv3")),
        "{e:?}"
    );
    assert!(format!("{e}").contains("has no GICv3"));
}

#[test]
fn ram_checks() {
    let cases: [(&[MemRange], &str); 4] = [
        (&[], "no guest RAM"),
        (&[MemRange::new(0x4400_0000, 0)], "is empty"),
        (
            &[
                MemRange::new(0x4400_0000, 0x100_0000),
                MemRange::new(0x44ff_f000, 0x2000),
            ],
            "overlaps",
        ),
        (
            &[MemRange::new(0x7000_0000, 0x2000_0000)],
            "not inside the host's RAM",
        ),
    ];
    for (ram, msg) in cases {
        let e = build(&GuestDtbConfig { ram, ..cfg(VIRT) }).unwrap_err();
        assert!(format!("{e}").contains(msg), "{ram:?}: {e}");
    }
    // Two ranges: two memory nodes, in address order.
    let ram = [
        MemRange::new(0x6000_0000, 0x1000_0000),
        MemRange::new(0x4400_0000, 0x1000_0000),
    ];
    let out = build(&GuestDtbConfig {
        ram: &ram,
        ..cfg(VIRT)
    })
    .unwrap();
    let f = Fdt::new(&out).unwrap();
    assert_eq!(
        names_with(&nodes(&f), "/memory"),
        ["/memory@44000000", "/memory@60000000"]
    );
}

#[test]
fn bootargs_with_nul_is_a_write_error() {
    let e = build(&GuestDtbConfig {
        bootargs: "a\0b",
        ..cfg(VIRT)
    })
    .unwrap_err();
    assert!(
        matches!(e, DtbError::Write { ref node, err: vm_fdt::Error::InvalidString } if node == "/chosen")
    );
}

// ---- malformed input ----

#[test]
fn truncated_is_an_error_at_every_length() {
    for n in 0..VIRT.len() {
        let e = build(&cfg(&VIRT[..n])).unwrap_err();
        assert!(matches!(e, DtbError::Malformed(_)), "len {n}: {e:?}");
    }
}

#[test]
fn garbage_is_an_error() {
    let mut g = vec![0u8; 4096];
    let mut x = 0x1234_5678u32;
    for b in &mut g {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    assert!(matches!(build(&cfg(&g)), Err(DtbError::Malformed(_))));
    // Garbage behind a valid-looking header.
    g[..4].copy_from_slice(&FDT_MAGIC_BYTES);
    g[4..8].copy_from_slice(&4096u32.to_be_bytes());
    assert!(matches!(build(&cfg(&g)), Err(DtbError::Malformed(_))));
    let e = build(&cfg(&[0u8; 40])).unwrap_err();
    assert_eq!(
        format!("{e}"),
        "guest DTB: host malformed DTB at offset 0x0: magic is 0x00000000, expected 0xd00dfeed"
    );
}

const FDT_MAGIC_BYTES: [u8; 4] = check::FDT_MAGIC.to_be_bytes();

/// Every single-byte corruption of a real DTB gives Ok or an error, never a
/// panic (in `check`, in `fdt` or in `build`).
#[test]
fn corrupted_bytes_never_panic() {
    let mut blob = VIRT.to_vec();
    let mut errors = 0;
    for i in 0..blob.len() {
        for x in [0x01u8, 0x80, 0xff] {
            blob[i] ^= x;
            if build(&cfg(&blob)).is_err() {
                errors += 1;
            }
            blob[i] ^= x;
        }
    }
    // The header, tokens and lengths are everywhere: many flips must be caught.
    assert!(errors > VIRT.len() / 4, "only {errors} errors");
}

/// Token offsets in a blob (test-only walker, may panic).
fn tokens(blob: &[u8]) -> Vec<(usize, u32, String)> {
    let rd = |o: usize| u32::from_be_bytes(blob[o..o + 4].try_into().unwrap());
    let (st, strs) = (rd(8) as usize, rd(12) as usize);
    let mut out = Vec::new();
    let mut o = st;
    loop {
        let t = rd(o);
        match t {
            1 => {
                let name: Vec<u8> = blob[o + 4..]
                    .iter()
                    .take_while(|&&b| b != 0)
                    .copied()
                    .collect();
                out.push((o, t, String::from_utf8(name.clone()).unwrap()));
                o = (o + 4 + name.len() + 1 + 3) & !3;
            }
            3 => {
                let (len, off) = (rd(o + 4) as usize, rd(o + 8) as usize);
                let name: Vec<u8> = blob[strs + off..]
                    .iter()
                    .take_while(|&&b| b != 0)
                    .copied()
                    .collect();
                out.push((o, t, String::from_utf8(name).unwrap()));
                o = (o + 12 + len + 3) & !3;
            }
            9 => break,
            _ => {
                out.push((o, t, String::new()));
                o += 4;
            }
        }
    }
    out
}

fn nop_out(blob: &mut [u8], from: usize, to: usize) {
    for o in (from..to).step_by(4) {
        blob[o..o + 4].copy_from_slice(&4u32.to_be_bytes());
    }
}

/// libfdt removes nodes/properties in place by overwriting them with FDT_NOP
/// (fdt_nop_node, fdt_nop_property); `fdt` 0.1.5 alone panics on a NOP
/// between properties.
#[test]
fn nop_tokens_are_accepted() {
    let mut blob = VIRT.to_vec();
    let toks = tokens(&blob);
    // NOP out the UART's clock-names (between its properties).
    let uart = toks
        .iter()
        .position(|t| t.1 == 1 && t.2 == "pl011@9000000")
        .unwrap();
    let cn = toks[uart..]
        .iter()
        .position(|t| t.1 == 3 && t.2 == "clock-names")
        .unwrap()
        + uart;
    nop_out(&mut blob, toks[cn].0, toks[cn + 1].0);
    // NOP out the whole pmu node.
    let pmu = toks.iter().position(|t| t.1 == 1 && t.2 == "pmu").unwrap();
    let end = toks[pmu..].iter().position(|t| t.1 == 2).unwrap() + pmu;
    nop_out(&mut blob, toks[pmu].0, toks[end].0 + 4);

    let out = build(&cfg(&blob)).unwrap();
    let f = Fdt::new(&out).unwrap();
    let m = nodes(&f);
    let u = m["/pl011@9000000"];
    assert!(prop(u, "clock-names").is_none());
    assert!(prop(u, "clocks").is_some() && prop(u, "reg").is_some());
    assert!(m.contains_key("/pl031@9010000"));
    // The same guest DTB as from the original, bar the UART's clock-names.
    let orig = build(&cfg(VIRT)).unwrap();
    let of = Fdt::new(&orig).unwrap();
    let om = nodes(&of);
    assert_eq!(om.keys().collect::<Vec<_>>(), m.keys().collect::<Vec<_>>());
    for (path, n) in &om {
        let want: Vec<_> = n
            .properties()
            .filter(|p| !(path == "/pl011@9000000" && p.name == "clock-names"))
            .map(|p| (p.name, p.value))
            .collect();
        let got: Vec<_> = m[path].properties().map(|p| (p.name, p.value)).collect();
        assert_eq!(got, want, "{path}");
    }
}

#[test]
fn malformed_structures() {
    let toks = tokens(VIRT);
    let case = |mutate: &dyn Fn(&mut Vec<u8>), want: Malformed| {
        let mut b = VIRT.to_vec();
        mutate(&mut b);
        match check(&b) {
            Err(MalformedAt { what, .. }) => assert_eq!(what, want),
            Ok(_) => panic!("accepted, wanted {want:?}"),
        }
        assert!(matches!(build(&cfg(&b)), Err(DtbError::Malformed(_))));
    };
    let first_prop = toks.iter().find(|t| t.1 == 3).unwrap().0;
    let end_node = toks.iter().rev().find(|t| t.1 == 2).unwrap().0;
    case(
        &|b| b[first_prop..first_prop + 4].copy_from_slice(&7u32.to_be_bytes()),
        Malformed::BadToken { token: 7 },
    );
    case(
        &|b| b[first_prop + 4..first_prop + 8].copy_from_slice(&0xffff_0000u32.to_be_bytes()),
        Malformed::PropertyBounds { len: 0xffff_0000 },
    );
    case(
        &|b| b[first_prop + 8..first_prop + 12].copy_from_slice(&0x00ff_0000u32.to_be_bytes()),
        Malformed::PropertyName {
            nameoff: 0x00ff_0000,
        },
    );
    // The root's closing FDT_END_NODE becomes FDT_END.
    case(
        &|b| b[end_node..end_node + 4].copy_from_slice(&9u32.to_be_bytes()),
        Malformed::AfterRoot,
    );
    case(
        &|b| b[20..24].copy_from_slice(&15u32.to_be_bytes()),
        Malformed::Version {
            version: 15,
            last_comp: 16,
        },
    );
    case(
        &|b| b[4..8].copy_from_slice(&0x10_0000u32.to_be_bytes()),
        Malformed::TotalSize {
            totalsize: 0x10_0000,
            len: VIRT.len(),
        },
    );
    case(
        &|b| b[36..40].copy_from_slice(&0x10_0000u32.to_be_bytes()),
        Malformed::Block { block: "structure" },
    );
    // #address-cells with 3 bytes: rename a 4-byte property? Use the root's
    // first property's length instead (interrupt-parent, 4 bytes -> 8 would
    // swallow the next token): shrink #size-cells to 0 bytes.
    let sc = toks
        .iter()
        .find(|t| t.1 == 3 && t.2 == "#size-cells")
        .unwrap()
        .0;
    case(
        &|b| b[sc + 4..sc + 8].copy_from_slice(&0u32.to_be_bytes()),
        Malformed::CellCount,
    );
}

// ---- synthetic hosts for the reference rules ----

/// A minimal host DTB: GICv3 (phandle 1), timer, one CPU, 1 GiB of RAM, plus
/// whatever `extra` adds under the root.
fn host(extra: &dyn Fn(&mut FdtWriter)) -> Vec<u8> {
    let mut w = FdtWriter::new().unwrap();
    let r = w.begin_node("").unwrap();
    w.property_u32("#address-cells", 2).unwrap();
    w.property_u32("#size-cells", 2).unwrap();
    w.property_u32("interrupt-parent", 1).unwrap();
    let n = w.begin_node("memory@40000000").unwrap();
    w.property_string("device_type", "memory").unwrap();
    w.property_array_u64("reg", &[0x4000_0000, 0x4000_0000])
        .unwrap();
    w.end_node(n).unwrap();
    let n = w.begin_node("cpus").unwrap();
    w.property_u32("#address-cells", 1).unwrap();
    w.property_u32("#size-cells", 0).unwrap();
    let c = w.begin_node("cpu@0").unwrap();
    w.property_string("device_type", "cpu").unwrap();
    w.property_u32("reg", 0).unwrap();
    w.end_node(c).unwrap();
    w.end_node(n).unwrap();
    let n = w.begin_node("intc@8000000").unwrap();
    w.property_string("compatible", "arm,gic-v3").unwrap();
    w.property_phandle(1).unwrap();
    w.end_node(n).unwrap();
    let n = w.begin_node("timer").unwrap();
    w.property_string("compatible", "arm,armv8-timer").unwrap();
    w.end_node(n).unwrap();
    extra(&mut w);
    w.end_node(r).unwrap();
    w.finish().unwrap()
}

fn node(w: &mut FdtWriter, name: &str, compatible: &str, props: &[(&str, &[u32])]) {
    let n = w.begin_node(name).unwrap();
    w.property_string("compatible", compatible).unwrap();
    for (k, v) in props {
        if *k == "phandle" {
            w.property_phandle(v[0]).unwrap();
        } else {
            w.property_array_u32(k, v).unwrap();
        }
    }
    w.end_node(n).unwrap();
}

fn one_cpu(h: &[u8]) -> GuestDtbConfig<'_> {
    GuestDtbConfig { vcpus: 1, ..cfg(h) }
}

#[test]
fn references_are_followed_transitively() {
    let h = host(&|w| {
        node(w, "uart@9000000", "arm,pl011", &[("clocks", &[2])]);
        node(
            w,
            "clk-a",
            "fixed-factor-clock",
            &[("phandle", &[2]), ("#clock-cells", &[0]), ("clocks", &[3])],
        );
        node(
            w,
            "clk-b",
            "fixed-clock",
            &[("phandle", &[3]), ("#clock-cells", &[0])],
        );
        node(
            w,
            "clk-unused",
            "fixed-clock",
            &[("phandle", &[4]), ("#clock-cells", &[0])],
        );
    });
    let out = build(&one_cpu(&h)).unwrap();
    let f = Fdt::new(&out).unwrap();
    let m = nodes(&f);
    assert!(m.contains_key("/clk-a") && m.contains_key("/clk-b"));
    assert!(!m.contains_key("/clk-unused"));
    assert_references_resolve(&f);
}

#[test]
fn reference_errors() {
    // A passed device referencing a dropped class.
    let h = host(&|w| {
        node(w, "uart@9000000", "arm,pl011", &[("clocks", &[5])]);
        node(
            w,
            "pl061@9030000",
            "arm,pl061",
            &[("phandle", &[5]), ("#clock-cells", &[0])],
        );
    });
    let e = build(&one_cpu(&h)).unwrap_err();
    assert_eq!(
        e,
        DtbError::DroppedReference {
            node: "/uart@9000000".into(),
            property: "clocks".into(),
            target: "/pl061@9030000".into()
        }
    );
    assert_eq!(format!("{e}"), "guest DTB: /uart@9000000:clocks references /pl061@9030000, which is not passed to the guest");
    // The same device not passed: no error.
    assert!(build(&GuestDtbConfig {
        allow: Allow::NONE,
        ..one_cpu(&h)
    })
    .is_ok());

    let h = host(&|w| node(w, "uart@9000000", "arm,pl011", &[("clocks", &[0x99])]));
    assert!(matches!(
        build(&one_cpu(&h)),
        Err(DtbError::UnresolvedPhandle { phandle: 0x99, .. })
    ));

    // A provider without #clock-cells.
    let h = host(&|w| {
        node(w, "uart@9000000", "arm,pl011", &[("clocks", &[2])]);
        node(w, "clk", "fixed-clock", &[("phandle", &[2])]);
    });
    assert!(matches!(
        build(&one_cpu(&h)),
        Err(DtbError::BadProperty { .. })
    ));

    // Specifier shorter than the provider's cells.
    let h = host(&|w| {
        node(w, "uart@9000000", "arm,pl011", &[("clocks", &[2])]);
        node(
            w,
            "clk",
            "fixed-clock",
            &[("phandle", &[2]), ("#clock-cells", &[1])],
        );
    });
    assert!(matches!(
        build(&one_cpu(&h)),
        Err(DtbError::BadProperty {
            why: "is shorter than its specifier cells",
            ..
        })
    ));

    // -gpios properties use #gpio-cells; a cpu node referenced is fine.
    let h = host(&|w| {
        node(
            w,
            "virtio_mmio@a000000",
            "virtio,mmio",
            &[("reset-gpios", &[6, 1, 0])],
        );
        node(
            w,
            "gpio",
            "vendor,gpio",
            &[("phandle", &[6]), ("#gpio-cells", &[2])],
        );
    });
    let out = build(&one_cpu(&h)).unwrap();
    assert!(nodes(&Fdt::new(&out).unwrap()).contains_key("/gpio"));
}

#[test]
fn duplicate_phandles_are_refused() {
    let h = host(&|w| {
        let n = w.begin_node("a").unwrap();
        w.property_u32("phandle", 1).unwrap(); // same as the GIC
        w.end_node(n).unwrap();
    });
    assert_eq!(build(&one_cpu(&h)), Err(DtbError::DuplicatePhandle(1)));
}

#[test]
fn missing_nodes() {
    // No memory, no cpus, no timer: a bare root.
    let mut w = FdtWriter::new().unwrap();
    let r = w.begin_node("").unwrap();
    w.end_node(r).unwrap();
    let b = w.finish().unwrap();
    assert_eq!(build(&one_cpu(&b)), Err(DtbError::Missing("memory node")));
}

/// Random word overwrites (lengths, offsets, tokens) of a real DTB: never a
/// panic; the unmodified blob still builds.
#[test]
fn random_word_corruption_never_panics() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let words = VIRT.len() / 4;
    for _ in 0..4000 {
        let mut b = VIRT.to_vec();
        for _ in 0..(1 + next() % 3) {
            let w = (next() as usize % words) * 4;
            let v = match next() % 4 {
                0 => next() as u32,
                1 => (next() % 10) as u32,
                2 => (next() % 0x2000) as u32,
                _ => u32::MAX - (next() % 8) as u32,
            };
            b[w..w + 4].copy_from_slice(&v.to_be_bytes());
        }
        let _ = build(&cfg(&b));
    }
    assert!(build(&cfg(VIRT)).is_ok());
}

/// Builds a guest DTB from each QEMU test DTB. With GUESTS_DTB_OUT=DIR set,
/// writes them there (for scripts/tests/guests-dtb.sh to run through `dtc`);
/// with GUESTS_HOST_DTB=FILE set as well, also builds DIR/host.guest.dtb
/// (2 vCPUs, all devices) from FILE (scripts/tests/guests-linux-guestdtb.sh
/// boots Linux on it).
#[test]
fn dump_for_dtc() {
    let dir = std::env::var_os("GUESTS_DTB_OUT").map(std::path::PathBuf::from);
    if let (Some(dir), Some(host)) = (&dir, std::env::var_os("GUESTS_HOST_DTB")) {
        let host = std::fs::read(host).unwrap();
        let out = build(&cfg(&host)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("host.guest.dtb"), out).unwrap();
    }
    let initrd = Some(Initrd {
        start: 0x4900_0000,
        end: 0x4900_2000,
    });
    let cases: [(&str, GuestDtbConfig); 4] = [
        ("virt-gicv3", cfg(VIRT)),
        (
            "virt-gicv3-initrd",
            GuestDtbConfig {
                initrd,
                ..cfg(VIRT_INITRD)
            },
        ),
        ("virt-gicv3-secure", cfg(VIRT_SECURE)),
        (
            "virt-gicv3-none",
            GuestDtbConfig {
                vcpus: 1,
                allow: Allow::NONE,
                ..cfg(VIRT)
            },
        ),
    ];
    for (name, c) in cases {
        let out = build(&c).unwrap();
        assert!(Fdt::new(&out).is_ok(), "{name}");
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.guest.dtb")), out).unwrap();
        }
    }
}

#[test]
fn passthrough_follows_the_class_table() {
    let p = passthrough(&cfg(VIRT)).unwrap();
    // QEMU virt: one PL011, the PL031 and 32 virtio-mmio transports.
    assert_eq!(p.regions.len(), 34);
    assert!(p.regions.contains(&MemRange::new(0x0900_0000, 0x1000)));
    assert!(p.regions.contains(&MemRange::new(0x0901_0000, 0x1000)));
    // No GIC, PCIe, flash or fw-cfg region.
    assert!(!p
        .regions
        .iter()
        .any(|r| r.base == 0x0800_0000 || r.base == 0x1000_0000));
    assert!(p.irqs.contains(&33) && p.irqs.contains(&34));
    let none = passthrough(&GuestDtbConfig {
        allow: Allow::NONE,
        ..cfg(VIRT)
    })
    .unwrap();
    assert_eq!(none, Passthrough::default());
}

#[test]
fn kept_devices_are_neither_mapped_nor_described() {
    let c = GuestDtbConfig {
        keep: &[L0_UART],
        ..cfg(VIRT_L0UART)
    };
    let all = passthrough(&cfg(VIRT_L0UART)).unwrap();
    assert!(all.regions.iter().any(|r| r.base == L0_UART));
    let p = passthrough(&c).unwrap();
    assert!(!p.regions.iter().any(|r| r.base == L0_UART));
    assert_eq!(p.regions.len() + 1, all.regions.len());
    let out = build(&c).unwrap();
    let f = Fdt::new(&out).unwrap();
    assert!(f.find_node("/pl011@9040000").is_none());
    assert!(f.find_node("/pl011@9000000").is_some());
    let aliases = f.find_node("/aliases").unwrap();
    assert!(aliases.property("serial1").is_none());
    assert_eq!(
        f.find_node("/chosen")
            .unwrap()
            .property("stdout-path")
            .and_then(|p| p.as_str()),
        Some("/pl011@9000000")
    );
    // The PCI host bridge (and so the pvpanic device on it) is never described.
    assert!(f.all_nodes().all(|n| !n.name.starts_with("pcie@")));
}
