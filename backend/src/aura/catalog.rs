//! Which service families a deployment offers, and the name AURA knows each by.

use domain::ServiceType;

/// Which service families a deployment offers and the AURA slug of each [model].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCatalog {
    entries: Vec<(ServiceType, String)>,
}

impl Default for ServiceCatalog {
    fn default() -> Self {
        ServiceCatalog {
            entries: ServiceType::ALL
                .iter()
                .map(|t| (*t, t.key().to_string()))
                .collect(),
        }
    }
}

impl ServiceCatalog {
    /// Parses `patrol,guarding=guarding-v2,escort`: each item enables a family, optionally with its
    /// own AURA slug (default: the family key).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut entries: Vec<(ServiceType, String)> = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (family, slug) = item.split_once('=').unwrap_or((item, item));
            let family: ServiceType = family.trim().parse().map_err(|_| {
                let known: Vec<&str> = ServiceType::ALL.iter().map(|t| t.key()).collect();
                format!(
                    "unknown service type {family:?} (known: {})",
                    known.join(", ")
                )
            })?;
            let slug = slug.trim();
            if slug.is_empty()
                || !slug
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
            {
                return Err(format!(
                    "service slug {slug:?} must be letters, digits, '-' or '_'"
                ));
            }
            if entries.iter().any(|(t, s)| *t == family || s == slug) {
                return Err(format!("service type {item:?} is listed twice"));
            }
            entries.push((family, slug.to_string()));
        }
        if entries.is_empty() {
            return Err("at least one service type must be enabled".into());
        }
        Ok(ServiceCatalog { entries })
    }

    pub fn enabled(&self) -> Vec<ServiceType> {
        self.entries.iter().map(|(t, _)| *t).collect()
    }

    pub fn slug(&self, t: ServiceType) -> Option<&str> {
        self.entries
            .iter()
            .find(|(e, _)| *e == t)
            .map(|(_, s)| s.as_str())
    }

    pub fn by_slug(&self, slug: &str) -> Option<ServiceType> {
        self.entries
            .iter()
            .find(|(_, s)| s == slug)
            .map(|(t, _)| *t)
    }
}
