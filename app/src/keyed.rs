//! Closed vocabularies with one stable text key per value, written once.
//!
//! `keyed_enum!` declares the enum and, from the same list, its `ALL` values, `key()`, `FromStr`, its
//! serde form and (on the server) its SQLite text form: the key a form posts, the value stored in
//! the database and the name in JSON can never drift apart.

macro_rules! keyed_enum {
    (@count) => { 0usize };
    (@count $head:ident $($tail:ident)*) => { 1usize + keyed_enum!(@count $($tail)*) };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $key:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $key)]
                #[cfg_attr(feature = "ssr", sqlx(rename = $key))]
                $variant,
            )+
        }

        impl $name {
            pub const ALL: [$name; keyed_enum!(@count $($variant)+)] = [$($name::$variant),+];

            /// The stable text form: form values, database, JSON, URLs and CSS classes.
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.key())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::keyed::UnknownKey;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($key => Ok($name::$variant),)+
                    _ => Err($crate::keyed::UnknownKey(s.to_string())),
                }
            }
        }
    };
}

pub(crate) use keyed_enum;

/// A text that names none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownKey(pub String);
