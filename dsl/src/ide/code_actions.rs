//! code_actions
