//! Moving lowered model nodes and diagnostics by a byte delta, for incremental lowering.
//!
//! When an edit leaves a block's text unchanged but moves it (text was inserted or removed
//! before it), the block lowered last time is reused with every span moved by the distance the
//! block moved. The empty span `0..0` marks nodes built in memory (not read from text) and is
//! never moved: no block starts at byte 0, since the `workflow` header comes first.

use serde_json::Number;

use crate::diagnostic::{Diagnostic, Fix, Label, TextEdit};
use crate::model::*;

/// Something holding byte spans that can be moved by a signed delta.
pub(crate) trait Shift {
    /// Moves every span by `delta` bytes.
    fn shift(&mut self, delta: isize);
}

impl Shift for Span {
    fn shift(&mut self, delta: isize) {
        if *self == Span::default() {
            return;
        }
        self.start = self.start.saturating_add_signed(delta);
        self.end = self.end.saturating_add_signed(delta);
    }
}

/// Values without spans.
macro_rules! no_spans {
    ($($ty:ty),*) => {
        $(impl Shift for $ty {
            fn shift(&mut self, _delta: isize) {}
        })*
    };
}

no_spans!(String, bool, Number, Json);

impl<T: Shift> Shift for Spanned<T> {
    fn shift(&mut self, delta: isize) {
        self.span.shift(delta);
        self.value.shift(delta);
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, delta: isize) {
        if let Some(value) = self {
            value.shift(delta);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, delta: isize) {
        for value in self {
            value.shift(delta);
        }
    }
}

impl Shift for MappedStr {
    /// The map is relative to the span start: only the span moves.
    fn shift(&mut self, delta: isize) {
        self.str.shift(delta);
    }
}

impl Shift for Extra {
    fn shift(&mut self, delta: isize) {
        self.key.shift(delta);
        self.value.shift(delta);
        self.span.shift(delta);
    }
}

impl Shift for TypeRef {
    fn shift(&mut self, delta: isize) {
        self.span.shift(delta);
    }
}

impl Shift for Block {
    fn shift(&mut self, delta: isize) {
        let Block {
            span,
            id,
            kind,
            kind_span,
            name,
            description,
            position,
            inputs,
            outputs,
            extra,
        } = self;
        span.shift(delta);
        id.shift(delta);
        kind.shift(delta);
        kind_span.shift(delta);
        name.shift(delta);
        description.shift(delta);
        position.shift(delta);
        inputs.shift(delta);
        outputs.shift(delta);
        extra.shift(delta);
    }
}

impl Shift for Position {
    fn shift(&mut self, delta: isize) {
        self.span.shift(delta);
        self.x.shift(delta);
        self.y.shift(delta);
    }
}

impl Shift for BlockKind {
    fn shift(&mut self, delta: isize) {
        match self {
            BlockKind::Visual {
                block_type,
                properties,
            } => {
                block_type.shift(delta);
                properties.shift(delta);
            }
            BlockKind::Code {
                language,
                source_code,
                dependencies,
                error_handling,
            } => {
                language.shift(delta);
                source_code.shift(delta);
                dependencies.shift(delta);
                error_handling.shift(delta);
            }
            BlockKind::Hybrid {
                base_language,
                template,
                parameters,
                preview_code,
            } => {
                base_language.shift(delta);
                template.shift(delta);
                parameters.shift(delta);
                preview_code.shift(delta);
            }
            BlockKind::Ai {
                model_config,
                system_prompt,
                user_prompt_template,
                context_analysis,
                output_format,
                fallback_behavior,
            } => {
                model_config.shift(delta);
                system_prompt.shift(delta);
                user_prompt_template.shift(delta);
                context_analysis.shift(delta);
                output_format.shift(delta);
                fallback_behavior.shift(delta);
            }
            BlockKind::Plugin {
                plugin,
                block_type,
                properties,
            } => {
                plugin.shift(delta);
                block_type.shift(delta);
                properties.shift(delta);
            }
        }
    }
}

impl Shift for Property {
    fn shift(&mut self, delta: isize) {
        self.span.shift(delta);
        self.key.shift(delta);
        self.value.shift(delta);
    }
}

impl Shift for Port {
    fn shift(&mut self, delta: isize) {
        let Port {
            span,
            name,
            ty,
            required,
            description,
            default,
            extra,
        } = self;
        span.shift(delta);
        name.shift(delta);
        ty.shift(delta);
        required.shift(delta);
        description.shift(delta);
        default.shift(delta);
        extra.shift(delta);
    }
}

impl Shift for ErrorAction {
    fn shift(&mut self, delta: isize) {
        match self {
            ErrorAction::Stop(span) | ErrorAction::Continue(span) => span.shift(delta),
            ErrorAction::Retry(attempts) => attempts.shift(delta),
        }
    }
}

impl Shift for Template {
    fn shift(&mut self, delta: isize) {
        self.span.shift(delta);
        self.source.shift(delta);
        self.placeholders.shift(delta);
    }
}

impl Shift for Placeholder {
    fn shift(&mut self, delta: isize) {
        self.span.shift(delta);
        self.name.shift(delta);
        match &mut self.kind {
            PlaceholderKind::Simple(s)
            | PlaceholderKind::Expression(s)
            | PlaceholderKind::CodeBlock(s) => s.shift(delta),
            PlaceholderKind::Conditional {
                condition,
                if_true,
                if_false,
            } => {
                condition.shift(delta);
                if_true.shift(delta);
                if_false.shift(delta);
            }
            PlaceholderKind::Raw(value) => value.shift(delta),
        }
    }
}

impl Shift for Parameter {
    fn shift(&mut self, delta: isize) {
        let Parameter {
            span,
            name,
            ty,
            value,
            default,
            description,
            extra,
        } = self;
        span.shift(delta);
        name.shift(delta);
        ty.shift(delta);
        value.shift(delta);
        default.shift(delta);
        description.shift(delta);
        extra.shift(delta);
    }
}

impl Shift for ModelConfig {
    fn shift(&mut self, delta: isize) {
        let ModelConfig {
            span,
            provider,
            model,
            temperature,
            max_tokens,
            timeout,
            extra,
        } = self;
        span.shift(delta);
        match provider {
            Provider::Anthropic(span) | Provider::OpenAi(span) => span.shift(delta),
            Provider::Local { span, endpoint } => {
                span.shift(delta);
                endpoint.shift(delta);
            }
        }
        model.shift(delta);
        temperature.shift(delta);
        max_tokens.shift(delta);
        timeout.shift(delta);
        extra.shift(delta);
    }
}

impl Shift for Connection {
    fn shift(&mut self, delta: isize) {
        let Connection {
            span,
            id,
            source_block,
            source_port,
            target_block,
            target_port,
            data_type,
            transform,
            extra,
        } = self;
        span.shift(delta);
        id.shift(delta);
        source_block.shift(delta);
        source_port.shift(delta);
        target_block.shift(delta);
        target_port.shift(delta);
        data_type.shift(delta);
        transform.shift(delta);
        extra.shift(delta);
    }
}

impl Shift for Diagnostic {
    fn shift(&mut self, delta: isize) {
        for Label { span, .. } in &mut self.labels {
            span.shift(delta);
        }
        if let Some(Fix { edits, .. }) = &mut self.fix {
            for TextEdit { span, .. } in edits {
                span.shift(delta);
            }
        }
    }
}
