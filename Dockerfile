# Gleaner image: the one shaded jar, run as `gleaner <service>` (broker, idle-detector, virtual-kubelet, descheduler).
#
# Build the jar first, then the image (the build context needs only the jar, see .dockerignore):
#   ./mvnw -DskipTests package -pl dist -am
#   docker build -t gleaner:dev .
FROM eclipse-temurin:17-jre

LABEL org.opencontainers.image.title="gleaner" \
      org.opencontainers.image.description="Gleaner: a virtual-kubelet federation that gleans spare capacity of member clusters"

WORKDIR /app
# Owned by root and not writable by the runtime user.
COPY dist/target/gleaner-all.jar /app/gleaner.jar

# Non-root (the "nonroot" uid of distroless images); the chart also enforces runAsNonRoot and a read-only root.
USER 65532:65532

ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
# gRPC (broker), health/metrics/dashboard, kubelet API (virtual-kubelet)
EXPOSE 9090 8080 10250

ENTRYPOINT ["java", "-jar", "/app/gleaner.jar"]
CMD ["--help"]
