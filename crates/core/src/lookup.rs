//! Who owns this address or name? Longest-prefix match for IP addresses and
//! longest-suffix match for domain names, built once from the registry and
//! shared read-only, so that sensor traffic can be attributed at line rate.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;

/// The answer to a lookup: the owning organisation and the registered entry that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Match<'a> {
    pub organisation: &'a str,
    /// The registered prefix or domain that matched.
    pub matched: String,
}

/// An index of registered prefixes and domains.
#[derive(Default, Clone)]
pub struct AssetIndex {
    orgs: Vec<String>,
    org_ix: HashMap<String, u32>,
    v4: PrefixMap<Ipv4Net, u32>,
    v6: PrefixMap<Ipv6Net, u32>,
    domains: HashMap<String, u32>,
}

impl AssetIndex {
    pub fn new() -> Self {
        Self::default()
    }

    fn org(&mut self, org: &str) -> u32 {
        if let Some(i) = self.org_ix.get(org) {
            return *i;
        }
        let i = self.orgs.len() as u32;
        self.orgs.push(org.to_owned());
        self.org_ix.insert(org.to_owned(), i);
        i
    }

    pub fn insert_prefix(&mut self, net: IpNet, org: &str) {
        let i = self.org(org);
        match net.trunc() {
            IpNet::V4(n) => self.v4.insert(n, i),
            IpNet::V6(n) => self.v6.insert(n, i),
        };
    }

    pub fn insert_domain(&mut self, domain: &str, org: &str) {
        let i = self.org(org);
        self.domains.insert(normalise_domain(domain), i);
    }

    /// Number of registered prefixes.
    pub fn prefix_count(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// The organisation owning the most specific registered prefix that contains `ip`.
    pub fn lookup_ip(&self, ip: IpAddr) -> Option<Match<'_>> {
        let (net, i) = match ip {
            IpAddr::V4(a) => {
                let (n, i) = self.v4.get_lpm(&Ipv4Net::from(a))?;
                (IpNet::V4(n), *i)
            }
            IpAddr::V6(a) => {
                let (n, i) = self.v6.get_lpm(&Ipv6Net::from(a))?;
                (IpNet::V6(n), *i)
            }
        };
        Some(Match {
            organisation: &self.orgs[i as usize],
            matched: net.to_string(),
        })
    }

    /// The owning organisation's index only, for hot loops that do not need the prefix.
    #[inline]
    pub fn lookup_ip_org(&self, ip: IpAddr) -> Option<&str> {
        let i = match ip {
            IpAddr::V4(a) => *self.v4.get_lpm(&Ipv4Net::from(a))?.1,
            IpAddr::V6(a) => *self.v6.get_lpm(&Ipv6Net::from(a))?.1,
        };
        Some(&self.orgs[i as usize])
    }

    /// The organisation owning the longest registered suffix of `name`.
    pub fn lookup_domain(&self, name: &str) -> Option<Match<'_>> {
        let name = normalise_domain(name);
        let mut rest = name.as_str();
        loop {
            if let Some(i) = self.domains.get(rest) {
                return Some(Match {
                    organisation: &self.orgs[*i as usize],
                    matched: rest.to_owned(),
                });
            }
            rest = rest.split_once('.')?.1;
        }
    }

    /// Look up either form: an IP address, or else a domain name.
    pub fn lookup(&self, query: &str) -> Option<Match<'_>> {
        match query.trim().parse::<IpAddr>() {
            Ok(ip) => self.lookup_ip(ip),
            Err(_) => self.lookup_domain(query),
        }
    }
}

fn normalise_domain(d: &str) -> String {
    d.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> AssetIndex {
        let mut ix = AssetIndex::new();
        ix.insert_prefix("198.51.100.0/24".parse().unwrap(), "city");
        ix.insert_prefix("198.51.100.16/28".parse().unwrap(), "hospital");
        ix.insert_prefix("2001:db8:10::/48".parse().unwrap(), "bank");
        ix.insert_domain("example.jp", "bank");
        ix.insert_domain("hospital.city.example.jp", "hospital");
        ix.insert_domain("City.Example.JP.", "city");
        ix
    }

    #[test]
    fn most_specific_prefix_wins() {
        let ix = index();
        assert_eq!(ix.lookup("198.51.100.7").unwrap().organisation, "city");
        let m = ix.lookup("198.51.100.20").unwrap();
        assert_eq!(
            (m.organisation, m.matched.as_str()),
            ("hospital", "198.51.100.16/28")
        );
        assert_eq!(
            ix.lookup("2001:db8:10:ffff::1").unwrap().organisation,
            "bank"
        );
        assert!(ix.lookup("203.0.113.1").is_none());
        assert!(ix.lookup("2001:db8:11::1").is_none());
    }

    #[test]
    fn longest_suffix_wins_and_case_is_ignored() {
        let ix = index();
        assert_eq!(ix.lookup("mail.example.jp").unwrap().organisation, "bank");
        assert_eq!(
            ix.lookup("www.city.example.jp").unwrap().organisation,
            "city"
        );
        let m = ix.lookup("PACS.Hospital.City.example.jp.").unwrap();
        assert_eq!(
            (m.organisation, m.matched.as_str()),
            ("hospital", "hospital.city.example.jp")
        );
        assert!(ix.lookup("example.com").is_none());
        assert!(ix.lookup("notexample.jp").is_none());
    }
}
