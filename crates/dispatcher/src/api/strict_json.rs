//! Request bodies, parsed strictly. serde's derived structs also accept a JSON *array* (the
//! fields in order), so `[]` would read as a document with every field at its default — an
//! account reset by accident. Bodies are therefore read in two steps: the text into a
//! `serde_json::Value` (a syntax error is "not valid JSON"), then the value into the target
//! type through [`Strict`], a deserializer that hands structs only objects, at every depth;
//! `serde_path_to_error` records where a failure happened, so every data error names its
//! field (`consents[0].revoked`, `status`), including a number where an enum name belongs.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::ApiError;

/// Parses `bytes` as a JSON body of type `T`.
pub fn parse<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request_no_field(format!("the body is not valid JSON: {e}")))?;
    from_value(&value)
}

/// Reads an already parsed value (one item of a batch) as `T`.
pub fn from_value<T: de::DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let named = backticked_after(&message, "unknown field `")
            .or_else(|| backticked_after(&message, "missing field `"));
        let field = match (path.as_str(), named) {
            (".", Some(n)) => n.to_owned(),
            (".", None) => {
                return ApiError::bad_request_no_field(message);
            }
            (p, Some(n)) if p == n || p.ends_with(&format!(".{n}")) => p.to_owned(),
            (p, Some(n)) => format!("{p}.{n}"),
            (p, None) => p.to_owned(),
        };
        ApiError::bad_request(field.clone(), format!("{field}: {message}"))
    })
}

fn backticked_after<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let start = msg.find(prefix)? + prefix.len();
    let rest = msg.get(start..)?;
    rest.get(..rest.find('`')?)
}

/// A JSON value as a deserializer that gives structs objects only.
#[derive(Debug, Clone, Copy)]
pub struct Strict<'a>(pub &'a Value);

type Error = serde_json::Error;

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(StrictMap::new(map)),
            Value::Array(items) => visitor.visit_seq(StrictSeq(items.iter())),
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(StrictMap::new(map)),
            other => Err(de::Error::invalid_type(unexpected(other), &"a JSON object")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            // A unit variant by name (every enum of the API); `{"variant": …}` as serde_json reads it.
            Value::String(_) | Value::Object(_) => self.0.deserialize_enum(name, variants, visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &"a string")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(de::Unexpected::Signed)
            .or_else(|| n.as_u64().map(de::Unexpected::Unsigned))
            .unwrap_or_else(|| de::Unexpected::Float(n.as_f64().unwrap_or_default())),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct StrictSeq<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for StrictSeq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct StrictMap<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'a> StrictMap<'a> {
    fn new(map: &'a Map<String, Value>) -> StrictMap<'a> {
        StrictMap {
            entries: map.iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for StrictMap<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                let key = de::value::BorrowedStrDeserializer::<Error>::new(k.as_str());
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let v = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("a value was asked for before its key"))?;
        seed.deserialize(Strict(v))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[serde(default)]
        n: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        On,
        Off,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<Inner>,
        #[serde(default)]
        mode: Option<Mode>,
    }

    fn err(json: &str) -> (Option<String>, String) {
        match parse::<Outer>(json.as_bytes()) {
            Err(ApiError::BadRequest { field, message }) => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn arrays_are_not_objects_at_any_depth() {
        assert_eq!(err("[]").0, None);
        assert_eq!(err(r#"{"inner": []}"#).0.as_deref(), Some("inner"));
        assert_eq!(err(r#"{"list": [[]]}"#).0.as_deref(), Some("list[0]"));
        assert_eq!(
            parse::<Outer>(br#"{"inner": {"n": 3}, "list": [{}], "mode": "on"}"#).ok(),
            Some(Outer {
                inner: Some(Inner { n: 3 }),
                list: vec![Inner { n: 0 }],
                mode: Some(Mode::On),
            })
        );
    }

    #[test]
    fn every_data_error_names_its_field() {
        assert_eq!(err(r#"{"mode": 5}"#).0.as_deref(), Some("mode"));
        assert_eq!(err(r#"{"mode": "sideways"}"#).0.as_deref(), Some("mode"));
        assert_eq!(
            err(r#"{"list": [{"m": 1}]}"#).0.as_deref(),
            Some("list[0].m")
        );
        assert_eq!(err(r#"{"bogus": 1}"#).0.as_deref(), Some("bogus"));
        assert_eq!(
            err(r#"{"inner": {"n": "x"}}"#).0.as_deref(),
            Some("inner.n")
        );
        let (field, message) = err("{not json");
        assert_eq!(field, None);
        assert!(message.contains("not valid JSON"), "{message}");
    }
}
