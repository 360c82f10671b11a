#pragma once
#include <functional>

class Button {
 public:
  void Update();
  bool GetMouseDown() const { return pressed_; }

 private:
  bool pressed_ = false;
  std::function<void()> on_click_;
};
