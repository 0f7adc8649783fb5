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
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $key)]
                $variant,
            )+
        }

        #[cfg(feature = "sqlx")]
        $crate::keyed::stored_as_text!($name, key);

        // In the public API's document: a string, one of the keys.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($key),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
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

/// A value stored as its text (`$text` gives it, `FromStr` reads it back), the same way in every
/// database sqlx serves: a TEXT column in SQLite and in PostgreSQL alike. (sqlx's derive would
/// name a custom PostgreSQL type after the Rust one.) Text that reads as no value is a decode
/// error, never a panic.
#[cfg(feature = "sqlx")]
#[doc(hidden)]
#[macro_export]
macro_rules! stored_as_text {
    ($ty:ty, $text:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $ty
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, DB>>::encode_by_ref(&self.$text(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&'r str as sqlx::Decode<'r, DB>>::decode(value)?.parse::<$ty>()?)
            }
        }
    };
}

#[cfg(feature = "sqlx")]
pub use stored_as_text;

/// A text that names none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownKey(pub String);
