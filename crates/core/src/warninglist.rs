//! Warninglists (誤検知リスト): known-benign addresses, domains and hashes that
//! flag an indicator or a match as a likely false positive. Four lists ship in
//! `data/warninglists/`; a directory of the same plain-text format adds to or
//! replaces them (`[intel] warninglists_dir`), so they are updated without a
//! new release.
//!
//! Format: one value per line — an IP address, a CIDR block, a domain (which
//! also covers its subdomains) or a file hash; `#` starts a comment; the header
//! comments `# name:` and `# description:` name the list.

use ipnet::IpNet;
use std::collections::HashSet;
use std::net::IpAddr;

/// One list.
#[derive(Debug, Clone, Default)]
pub struct Warninglist {
    pub name: String,
    pub description: String,
    nets: Vec<IpNet>,
    /// Domains and hashes, lower-case.
    words: HashSet<String>,
}

/// The shipped lists.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "public-dns-resolvers",
        include_str!("../../../data/warninglists/public-dns-resolvers.txt"),
    ),
    (
        "well-known-domains",
        include_str!("../../../data/warninglists/well-known-domains.txt"),
    ),
    (
        "empty-file-hashes",
        include_str!("../../../data/warninglists/empty-file-hashes.txt"),
    ),
    (
        "private-networks",
        include_str!("../../../data/warninglists/private-networks.txt"),
    ),
];

impl Warninglist {
    /// Parse a list; `default_name` is used when the file has no `# name:`.
    /// Errors name the line.
    pub fn parse(default_name: &str, text: &str) -> Result<Warninglist, String> {
        let mut list = Warninglist {
            name: default_name.to_owned(),
            ..Default::default()
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(comment) = line.strip_prefix('#') {
                let comment = comment.trim();
                if let Some(n) = comment.strip_prefix("name:") {
                    list.name = n.trim().to_owned();
                } else if let Some(d) = comment.strip_prefix("description:") {
                    list.description = d.trim().to_owned();
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            if let Ok(net) = line.parse::<IpNet>() {
                list.nets.push(net);
            } else if let Ok(ip) = line.parse::<IpAddr>() {
                list.nets.push(IpNet::from(ip));
            } else if line
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
            {
                list.words
                    .insert(line.trim_end_matches('.').to_ascii_lowercase());
            } else {
                return Err(format!(
                    "line {}: {line:?} is not an address, CIDR block, domain or hash",
                    i + 1
                ));
            }
        }
        Ok(list)
    }

    /// Does the list cover this address? (No text round trip: the sensor
    /// pipeline asks for every record.)
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// Does the list name this bare value (address, domain, URL host, hash)?
    pub fn contains(&self, value: &str) -> bool {
        let v = value.trim().to_ascii_lowercase();
        if let Ok(ip) = v.parse::<IpAddr>() {
            return self.nets.iter().any(|n| n.contains(&ip));
        }
        if let Ok(net) = v.parse::<IpNet>() {
            return self.nets.iter().any(|n| n.contains(&net));
        }
        let host = v
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', ':', '?']).next().unwrap_or(rest))
            .unwrap_or(&v);
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return self.nets.iter().any(|n| n.contains(&ip));
        }
        // The domain itself or any parent domain.
        let mut d = host.trim_end_matches('.');
        loop {
            if self.words.contains(d) {
                return true;
            }
            match d.split_once('.') {
                Some((_, parent)) => d = parent,
                None => return false,
            }
        }
    }
}

/// The lists in use.
#[derive(Debug, Clone, Default)]
pub struct Warninglists {
    pub lists: Vec<Warninglist>,
}

impl Warninglists {
    pub fn shipped() -> Warninglists {
        Warninglists {
            lists: SHIPPED
                .iter()
                .map(|(n, t)| Warninglist::parse(n, t).expect("shipped warninglists parse"))
                .collect(),
        }
    }

    /// Add a list, replacing one of the same name.
    pub fn add(&mut self, list: Warninglist) {
        self.lists.retain(|l| l.name != list.name);
        self.lists.push(list);
    }

    /// The names of the lists that contain any of the values, given in the
    /// normal form of `stix::observable_values` (`type:path=value`) or bare.
    pub fn matches(&self, values: &[String]) -> Vec<String> {
        let bare: Vec<&str> = values
            .iter()
            .map(|v| v.split_once('=').map(|(_, x)| x).unwrap_or(v))
            .collect();
        self.lists
            .iter()
            .filter(|l| bare.iter().any(|v| l.contains(v)))
            .map(|l| l.name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_flag_benign_values_only() {
        let w = Warninglists::shipped();
        assert_eq!(w.lists.len(), 4);
        assert_eq!(
            w.matches(&["ipv4-addr:value=8.8.8.8".into()]),
            ["public-dns-resolvers"]
        );
        assert_eq!(
            w.matches(&["domain-name:value=update.microsoft.com".into()]),
            ["well-known-domains"]
        );
        assert_eq!(
            w.matches(&["url:value=https://www.google.com/x?y".into()]),
            ["well-known-domains"]
        );
        assert_eq!(
            w.matches(&["ipv4-addr:value=10.1.2.3".into()]),
            ["private-networks"]
        );
        assert_eq!(
            w.matches(&["file:hashes.SHA-256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()]),
            ["empty-file-hashes"]
        );
        assert!(w
            .matches(&[
                "ipv4-addr:value=198.51.100.7".into(),
                "domain-name:value=evil-microsoft.com".into()
            ])
            .is_empty());
    }

    #[test]
    fn bad_lines_are_named_and_lists_are_replaced() {
        let e = Warninglist::parse("x", "8.8.8.8\nnot a value!\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let mut w = Warninglists::shipped();
        w.add(
            Warninglist::parse(
                "public-dns-resolvers",
                "# name: public-dns-resolvers\n203.0.113.53\n",
            )
            .unwrap(),
        );
        assert_eq!(w.lists.len(), 4);
        assert_eq!(
            w.matches(&["203.0.113.53".into()]),
            ["public-dns-resolvers"]
        );
        assert!(w.matches(&["8.8.8.8".into()]).is_empty());
    }
}
