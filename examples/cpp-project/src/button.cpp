#include "button.hpp"

void Button::Update() {
  if (GetMouseDown() && on_click_) {
    on_click_();
  }
}
